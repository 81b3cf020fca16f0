package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func TestLeastPrivilege(t *testing.T) {
	cases := []struct {
		folder string
		// dynamo is every DynamoDB permission the function has, "action on construct id".
		dynamo []string
		// need are other permissions it must have; deny are ones it must not have.
		need, deny []string
	}{
		{
			folder: "ingest",
			dynamo: []string{"dynamodb:GetItem on ApiKeys"},
			need:   []string{"kinesis:PutRecord on Events", "kinesis:PutRecords on Events"},
			deny: []string{"dynamodb:Query", "dynamodb:Scan", "dynamodb:PutItem",
				"kinesis:GetRecords", "kinesis:GetShardIterator", "sqs:SendMessage"},
		},
		{
			folder: "aggregate",
			dynamo: []string{
				"dynamodb:GetItem on Aggregates", "dynamodb:GetItem on EventClaims",
				"dynamodb:PutItem on EventClaims", "dynamodb:Query on Aggregates",
				"dynamodb:Query on EventClaims",
				"dynamodb:UpdateItem on Aggregates",
				// Rule evaluation: rules, states, campaigns (also capping's time zones).
				"dynamodb:GetItem on Rules", "dynamodb:PutItem on Rules",
				"dynamodb:Query on Rules", "dynamodb:GetItem on Campaigns",
				// Capping: links, caps, counters (TransactWriteItems per contained action).
				"dynamodb:BatchGetItem on Capping", "dynamodb:PutItem on Capping",
				"dynamodb:Query on Capping", "dynamodb:UpdateItem on Capping",
			},
			need: []string{"sqs:SendMessage on IngestFailures", "kinesis:GetRecords on Events",
				"kinesis:ListShards on Events",
				"sqs:SendMessage on Notifications"},
			deny: []string{"dynamodb:Scan", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
				"kinesis:PutRecord", "kinesis:PutRecords"},
		},
		{
			folder: "auth",
			dynamo: accountsRW(),
			need:   []string{"secretsmanager:GetSecretValue on SigningKey"},
			deny: []string{"dynamodb:Scan", "secretsmanager:PutSecretValue",
				"kinesis:PutRecords"},
		},
		{
			folder: "authorizer",
			dynamo: []string{"dynamodb:GetItem on Accounts"},
			need:   []string{"secretsmanager:GetSecretValue on SigningKey"},
			deny:   []string{"secretsmanager:PutSecretValue", "secretsmanager:DescribeSecret"},
		},
		{
			folder: "admin",
			dynamo: append(accountsRW(),
				"dynamodb:GetItem on ApiKeys", "dynamodb:PutItem on ApiKeys",
				"dynamodb:Query on ApiKeys/index/by-tenant", "dynamodb:UpdateItem on ApiKeys",
				"dynamodb:UpdateItem on RateLimits"),
			deny: []string{"secretsmanager:GetSecretValue", "kinesis:PutRecords"},
		},
		{
			folder: "campaigns",
			dynamo: []string{"dynamodb:GetItem on Campaigns", "dynamodb:PutItem on Campaigns",
				"dynamodb:Query on Campaigns", "dynamodb:Query on Campaigns/index/*",
				"dynamodb:UpdateItem on RateLimits"},
			// The cursor secret reaches it through its environment at deploy time.
			deny: []string{"secretsmanager:GetSecretValue", "dynamodb:DeleteItem"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.folder, func(t *testing.T) {
			// GIVEN the stack WHEN listing what the function's role may do THEN exactly the
			// DynamoDB calls it makes, on its own tables, and nothing on the denied list.
			got := readable(t, permissions(t, tc.folder))

			var gotDynamo []string
			for _, p := range got {
				if strings.HasPrefix(p, "dynamodb:") {
					gotDynamo = append(gotDynamo, p)
				}
			}
			slices.Sort(tc.dynamo)
			if !slices.Equal(gotDynamo, tc.dynamo) {
				t.Errorf("DynamoDB permissions:\n got %q\nwant %q", gotDynamo, tc.dynamo)
			}
			for _, want := range tc.need {
				if !slices.Contains(got, want) {
					t.Errorf("missing %q in %q", want, got)
				}
			}
			for _, p := range got {
				action, _, _ := strings.Cut(p, " on ")
				if slices.Contains(tc.deny, action) || strings.Contains(action, "*") {
					t.Errorf("must not allow %q", p)
				}
			}
		})
	}
}

// accountsRW is what auth and admin may do on the Accounts table, sorted.
func accountsRW() []string {
	var out []string
	for _, a := range []string{"ConditionCheckItem", "DeleteItem", "GetItem", "PutItem",
		"Query", "UpdateItem"} {
		out = append(out, "dynamodb:"+a+" on Accounts")
	}
	return out
}

// readable replaces the logical ids in permissions by their construct ids (ApiKeys3BB3983D →
// ApiKeys) so that cases read like docs/design.md. Other resources are kept as they are.
func readable(t *testing.T, permissions []string) []string {
	t.Helper()
	names := map[string]string{
		logicalID(t, "AWS::Kinesis::Stream", "Events"):              "Events",
		logicalID(t, "AWS::DynamoDB::Table", "ApiKeys"):             "ApiKeys",
		logicalID(t, "AWS::DynamoDB::Table", "Aggregates"):          "Aggregates",
		logicalID(t, "AWS::DynamoDB::Table", "EventClaims"):         "EventClaims",
		logicalID(t, "AWS::SQS::Queue", "IngestFailures"):           "IngestFailures",
		logicalID(t, "AWS::DynamoDB::Table", "Accounts"):            "Accounts",
		logicalID(t, "AWS::DynamoDB::Table", "Campaigns"):           "Campaigns",
		logicalID(t, "AWS::SecretsManager::Secret", "SigningKey"):   "SigningKey",
		logicalID(t, "AWS::SecretsManager::Secret", "CursorSecret"): "CursorSecret",
		logicalID(t, "AWS::DynamoDB::Table", "Rules"):               "Rules",
		logicalID(t, "AWS::DynamoDB::Table", "Capping"):             "Capping",
		logicalID(t, "AWS::SQS::Queue", "Notifications"):            "Notifications",
		logicalID(t, "AWS::DynamoDB::Table", "RateLimits"):          "RateLimits",
	}
	out := make([]string, 0, len(permissions))
	for _, p := range permissions {
		action, resource, _ := strings.Cut(p, " on ")
		id, rest, _ := strings.Cut(resource, "/")
		if name, ok := names[id]; ok {
			resource = name
			if rest != "" {
				resource += "/" + rest
			}
		}
		out = append(out, action+" on "+resource)
	}
	slices.Sort(out)
	return out
}

func TestOutputs(t *testing.T) {
	cases := []struct{ output, cfnType, constructID string }{
		{"StreamName", "AWS::Kinesis::Stream", "Events"},
		{"AggregatesTableName", "AWS::DynamoDB::Table", "Aggregates"},
		{"ApiKeysTableName", "AWS::DynamoDB::Table", "ApiKeys"},
		{"ClaimsTableName", "AWS::DynamoDB::Table", "EventClaims"},
		{"FailureQueueUrl", "AWS::SQS::Queue", "IngestFailures"},
		{"AccountsTableName", "AWS::DynamoDB::Table", "Accounts"},
		{"CampaignsTableName", "AWS::DynamoDB::Table", "Campaigns"},
		{"SigningKeyArn", "AWS::SecretsManager::Secret", "SigningKey"},
		{"RulesTableName", "AWS::DynamoDB::Table", "Rules"},
		{"NotificationsQueueUrl", "AWS::SQS::Queue", "Notifications"},
		{"NotificationsDLQUrl", "AWS::SQS::Queue", "NotificationsDLQ"},
		{"CappingTableName", "AWS::DynamoDB::Table", "Capping"},
	}
	for _, tc := range cases {
		t.Run(tc.output, func(t *testing.T) {
			// GIVEN the stack WHEN reading output tc.output THEN it is the Ref of its resource.
			value := ref(logicalID(t, tc.cfnType, tc.constructID))
			check(t, tc.output, func() {
				tmpl.HasOutput(jsii.String(tc.output), obj{"Value": value})
			})
		})
	}
	t.Run("ApiUrl", func(t *testing.T) {
		// GIVEN the stack WHEN reading ApiUrl THEN it is set (a join of the API id and stage).
		check(t, "ApiUrl", func() {
			tmpl.HasOutput(jsii.String("ApiUrl"), obj{"Value": assertions.Match_AnyValue()})
		})
	})
}
