package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func TestFeatureTables(t *testing.T) {
	for _, id := range []string{"Rules", "Capping"} {
		t.Run(id, func(t *testing.T) {
			// GIVEN the stack WHEN reading table id THEN pk/sk strings, on demand, PITR,
			// TTL on expires_at, no index, retained (rules hold webhook secrets).
			logical := logicalID(t, "AWS::DynamoDB::Table", id)
			check(t, "table "+id, func() {
				tmpl.HasResource(jsii.String("AWS::DynamoDB::Table"), obj{
					"DeletionPolicy": "Retain",
					"Properties": obj{
						"KeySchema": []any{obj{"AttributeName": "pk", "KeyType": "HASH"},
							obj{"AttributeName": "sk", "KeyType": "RANGE"}},
						"BillingMode": "PAY_PER_REQUEST",
						"PointInTimeRecoverySpecification": obj{
							"PointInTimeRecoveryEnabled": true},
						"TimeToLiveSpecification": obj{
							"AttributeName": "expires_at", "Enabled": true},
						"GlobalSecondaryIndexes": assertions.Match_Absent(),
						"LocalSecondaryIndexes":  assertions.Match_Absent(),
					},
				})
			})
			if field(resources[logical], "DeletionPolicy") != "Retain" {
				t.Errorf("%s is not retained", logical)
			}
		})
	}
}

func TestNotificationQueues(t *testing.T) {
	// GIVEN the stack WHEN reading the notification queues THEN Notifications keeps 4
	// days, hides a message 420 s (6 × the 60 s notifier timeout + the 1 s window) and
	// moves it to NotificationsDLQ after MAX_ATTEMPTS = 6 receives; the DLQ keeps 14 days.
	dlq := logicalID(t, "AWS::SQS::Queue", "NotificationsDLQ")
	check(t, "Notifications", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::SQS::Queue"), obj{
			"MessageRetentionPeriod": 4 * 24 * 3600,
			"VisibilityTimeout":      420,
			"SqsManagedSseEnabled":   true,
			"RedrivePolicy": obj{"deadLetterTargetArn": arnOf(dlq),
				"maxReceiveCount": notifyMaxAttempts},
		})
	})
	check(t, "NotificationsDLQ", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::SQS::Queue"), obj{
			"MessageRetentionPeriod": 14 * 24 * 3600,
			"SqsManagedSseEnabled":   true,
			"RedrivePolicy":          assertions.Match_Absent(),
		})
	})
	if notifyMaxAttempts != 6 || notificationsVisibilitySeconds < 6*notifierTimeoutSeconds+1 {
		t.Errorf("maxReceiveCount %d, visibility %d s, notifier timeout %d s",
			notifyMaxAttempts, notificationsVisibilitySeconds, notifierTimeoutSeconds)
	}
}

func TestNotifierMapping(t *testing.T) {
	// GIVEN the stack WHEN reading the Notifications → notifier mapping THEN batches of
	// 10 within 1 s, partial batch responses, at most 5 concurrent batches.
	check(t, "two mappings", func() {
		tmpl.ResourceCountIs(jsii.String("AWS::Lambda::EventSourceMapping"), jsii.Number(2))
	})
	check(t, "notifier mapping", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), obj{
			"EventSourceArn": arnOf(logicalID(t, "AWS::SQS::Queue",
				"Notifications")),
			"FunctionName":                   liveFunctionName(t, "notifier"),
			"BatchSize":                      10,
			"MaximumBatchingWindowInSeconds": 1,
			"FunctionResponseTypes":          []any{"ReportBatchItemFailures"},
			"ScalingConfig":                  obj{"MaximumConcurrency": 5},
		})
	})
}

func TestSenderIdentity(t *testing.T) {
	// GIVEN the stack WHEN reading SES THEN one email identity, the notifier's sender.
	check(t, "identity", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::SES::EmailIdentity"), obj{
			"EmailIdentity": DefaultSenderEmail,
		})
	})
}

func TestFeatureFunctions(t *testing.T) {
	table := func(t *testing.T, id string) any {
		return ref(logicalID(t, "AWS::DynamoDB::Table", id))
	}
	cors, info := "http://localhost:5173", "info"
	cases := []struct {
		folder, logs       string
		memoryMB, timeoutS int
		variables          func(t *testing.T) obj
	}{
		{"rules", "RulesFunctionLogs", 512, 10, func(t *testing.T) obj {
			return withRateLimit(t, obj{"RULES_TABLE": table(t, "Rules"),
				"CAMPAIGNS_TABLE": table(t, "Campaigns"), "CORS_ALLOWED_ORIGINS": cors,
				"LOG_LEVEL": info})
		}},
		{"notifier", "NotifierLogs", 256, 60, func(t *testing.T) obj {
			return obj{"DELIVERIES_TABLE": table(t, "Rules"),
				"SENDER_EMAIL": DefaultSenderEmail,
				"QUEUE_URL":    ref(logicalID(t, "AWS::SQS::Queue", "Notifications")),
				"MAX_ATTEMPTS": "6", "LOG_LEVEL": info}
		}},
		{"reports", "ReportsLogs", 512, 30, func(t *testing.T) obj {
			return withRateLimit(t, obj{"AGGREGATES_TABLE": table(t, "Aggregates"),
				"CAMPAIGNS_TABLE": table(t, "Campaigns"), "CORS_ALLOWED_ORIGINS": cors,
				"LOG_LEVEL": info})
		}},
		{"decide", "DecideLogs", 512, 5, func(t *testing.T) obj {
			return obj{"CAPPING_TABLE": table(t, "Capping"),
				"CAMPAIGNS_TABLE": table(t, "Campaigns"), "API_KEYS_TABLE": table(t, "ApiKeys"),
				"LOG_LEVEL": info}
		}},
		{"caps", "CapsLogs", 256, 10, func(t *testing.T) obj {
			return withRateLimit(t, obj{"CAPPING_TABLE": table(t, "Capping"),
				"CAMPAIGNS_TABLE": table(t, "Campaigns"), "CORS_ALLOWED_ORIGINS": cors,
				"LOG_LEVEL": info})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.folder, func(t *testing.T) {
			// GIVEN the stack WHEN reading the function tagged tc.folder THEN arm64
			// provided.al2023, its sizing, exactly its env (never the local-only
			// ALLOW_LOOPBACK_DESTINATIONS), JSON logs into its own group.
			variables := withCollectorEnv(tc.variables(t))
			logGroup := ref(logicalID(t, "AWS::Logs::LogGroup", tc.logs))
			check(t, "function "+tc.folder, func() {
				tmpl.HasResource(jsii.String("AWS::Lambda::Function"), obj{
					"Metadata": obj{functionMetadataKey: tc.folder},
					"Properties": obj{
						"Runtime":       "provided.al2023",
						"Architectures": []any{"arm64"},
						"MemorySize":    tc.memoryMB,
						"Timeout":       tc.timeoutS,
						"Environment": obj{
							"Variables": assertions.Match_ObjectEquals(&variables),
						},
						"LoggingConfig": obj{"LogFormat": "JSON", "LogGroup": logGroup},
					},
				})
			})
		})
	}
}

func TestFeatureLeastPrivilege(t *testing.T) {
	cases := []struct {
		folder string
		dynamo []string // every DynamoDB permission, "action on construct id"
		need   []string // other permissions it must have
		deny   []string // actions it must not have
	}{
		{folder: "rules",
			dynamo: []string{"dynamodb:DeleteItem on Rules", "dynamodb:GetItem on Campaigns",
				"dynamodb:GetItem on Rules", "dynamodb:PutItem on Rules",
				"dynamodb:Query on Rules", "dynamodb:UpdateItem on RateLimits"},
			deny: []string{"sqs:SendMessage", "ses:SendEmail"}},
		{folder: "notifier",
			dynamo: []string{"dynamodb:GetItem on Rules", "dynamodb:PutItem on Rules",
				"dynamodb:Query on Rules", "dynamodb:UpdateItem on Rules"},
			need: []string{"sqs:ReceiveMessage on Notifications",
				"sqs:DeleteMessage on Notifications",
				"sqs:ChangeMessageVisibility on Notifications",
				"sqs:GetQueueAttributes on Notifications"},
			deny: []string{"sqs:SendMessage", "dynamodb:DeleteItem", "dynamodb:Scan"}},
		{folder: "reports",
			dynamo: []string{"dynamodb:GetItem on Campaigns", "dynamodb:Query on Aggregates",
				"dynamodb:Query on Campaigns", "dynamodb:Query on Campaigns/index/*",
				"dynamodb:UpdateItem on RateLimits"},
			deny: []string{"dynamodb:PutItem", "dynamodb:Scan"}},
		{folder: "decide",
			dynamo: []string{"dynamodb:BatchGetItem on Capping", "dynamodb:GetItem on ApiKeys",
				"dynamodb:GetItem on Campaigns", "dynamodb:Query on Capping"},
			deny: []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "kinesis:PutRecords"}},
		{folder: "health",
			dynamo: []string{"dynamodb:DescribeTable on Aggregates",
				"dynamodb:DescribeTable on ApiKeys", "dynamodb:DescribeTable on Campaigns",
				"dynamodb:DescribeTable on EventClaims"},
			need: []string{"kinesis:DescribeStreamSummary on Events",
				"sqs:GetQueueAttributes on IngestFailures",
				"sqs:GetQueueAttributes on Notifications"},
			deny: []string{"dynamodb:GetItem", "dynamodb:PutItem", "kinesis:PutRecords",
				"sqs:SendMessage", "sqs:ReceiveMessage"}},
		{folder: "caps",
			dynamo: []string{"dynamodb:GetItem on Campaigns", "dynamodb:PutItem on Capping",
				"dynamodb:Query on Capping", "dynamodb:UpdateItem on RateLimits"},
			deny: []string{"dynamodb:DeleteItem"}},
	}
	for _, tc := range cases {
		t.Run(tc.folder, func(t *testing.T) {
			// GIVEN the stack WHEN listing what the function's role may do THEN exactly
			// the DynamoDB calls it makes, and nothing on the denied list.
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

	t.Run("notifier sends mail only as the sender", func(t *testing.T) {
		// THEN ses:SendEmail is on the sender identity, conditioned on the From address.
		check(t, "ses statement", func() {
			tmpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), obj{
				"PolicyDocument": obj{"Statement": assertions.Match_ArrayWith(&[]any{like(obj{
					"Action": "ses:SendEmail",
					"Condition": obj{"StringEquals": obj{
						"ses:FromAddress": DefaultSenderEmail}},
				})})},
			})
		})
	})
}

func TestFeatureRoutes(t *testing.T) {
	authorizer := ref(logicalID(t, "AWS::ApiGateway::Authorizer", "TokenAuthorizer"))
	groups := []struct {
		name, folder string
		routes       []route
		guard        any // nil: public
	}{
		{"rules", "rules", ruleRoutes, authorizer},
		{"rules preflights", "rules", preflights(ruleRoutes), nil},
		{"reports", "reports", reportRoutes, authorizer},
		{"reports preflights", "reports", preflights(reportRoutes), nil},
		{"caps", "caps", capRoutes, authorizer},
		{"caps preflights", "caps", preflights(capRoutes), nil},
		{"decisions, x-api-key in the function", "decide", decisionRoutes, nil},
		{"health, public", "health", healthRoutes, nil},
	}
	for _, g := range groups {
		for _, r := range g.routes {
			t.Run(g.name+" "+r.method+" /"+r.path, func(t *testing.T) {
				// GIVEN the stack WHEN reading the route THEN it invokes its function,
				// behind the authorizer exactly when it is a guarded route.
				checkMethod(t, r, g.folder, g.guard)
			})
		}
	}
}

// featureMethods counts the API methods of alerts, reports and capping.
func featureMethods() int {
	n := len(decisionRoutes) + len(healthRoutes)
	for _, rs := range [][]route{ruleRoutes, reportRoutes, capRoutes} {
		n += len(rs) + len(preflights(rs))
	}
	return n
}
