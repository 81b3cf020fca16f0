package main

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
)

// capRoutes are the routes of the caps function, behind the authorizer.
var capRoutes = []route{
	{"GET", "v1/campaigns/{id}/caps"}, {"PUT", "v1/campaigns/{id}/caps"},
	{"GET", "v1/campaigns/{id}/ads/{ad}/caps"}, {"PUT", "v1/campaigns/{id}/ads/{ad}/caps"},
}

// decisionRoutes are the routes of the decide function: public, the function checks
// the x-api-key header itself.
var decisionRoutes = []route{{"POST", "v1/decisions/frequency"}}

// capping holds the resources of frequency capping (docs/capping.md).
type capping struct {
	table  awsdynamodb.Table // caps, identity links, counters
	decide awslambda.Function
	caps   awslambda.Function
}

// addCapping creates the Capping table, the decide and caps functions, and lets
// aggregate count claimed impressions against the caps.
func addCapping(stack awscdk.Stack, st storage, assetDir func(string) string,
	origins []string, aggregate awslambda.Function) capping {
	c := capping{table: newTable(stack, "Capping", tableSpec{
		partitionKey: "pk", sortKey: "sk", ttl: true, removal: awscdk.RemovalPolicy_RETAIN,
	})}
	info := jsii.String("info")
	c.decide = newFunction(stack, assetDir, functionSpec{
		id: "Decide", folder: "decide",
		memoryMB: 512, // CPU for one-round-trip answers
		timeout:  awscdk.Duration_Seconds(jsii.Number(5)),
		env: map[string]*string{
			"CAPPING_TABLE":   c.table.TableName(),
			"CAMPAIGNS_TABLE": st.campaigns.TableName(),
			"API_KEYS_TABLE":  st.apiKeys.TableName(),
			"LOG_LEVEL":       info,
		},
	})
	c.caps = newFunction(stack, assetDir, functionSpec{
		id: "Caps", folder: "caps",
		memoryMB: 256,
		timeout:  awscdk.Duration_Seconds(jsii.Number(10)),
		env: map[string]*string{
			"CAPPING_TABLE":        c.table.TableName(),
			"CAMPAIGNS_TABLE":      st.campaigns.TableName(),
			"CORS_ALLOWED_ORIGINS": jsii.String(strings.Join(origins, ",")),
			"LOG_LEVEL":            info,
		},
	})

	// Decide only reads: counters and links, caps, time zones, the caller's key.
	allow(c.decide, c.table.TableArn(), "dynamodb:BatchGetItem", "dynamodb:Query")
	allow(c.decide, st.campaigns.TableArn(), "dynamodb:GetItem")
	allow(c.decide, st.apiKeys.TableArn(), "dynamodb:GetItem")

	// Caps reads and writes cap items of the caller's campaigns.
	allow(c.caps, c.table.TableArn(), "dynamodb:PutItem", "dynamodb:Query")
	allow(c.caps, st.campaigns.TableArn(), "dynamodb:GetItem")

	// Aggregate counts impressions: links, caps, and the two items of each
	// TransactWriteItems (authorised per contained action); time zones of campaigns.
	aggregate.AddEnvironment(jsii.String("CAPPING_TABLE"), c.table.TableName(), nil)
	allow(aggregate, c.table.TableArn(), "dynamodb:BatchGetItem", "dynamodb:Query",
		"dynamodb:PutItem", "dynamodb:UpdateItem")

	awscdk.NewCfnOutput(stack, jsii.String("CappingTableName"), &awscdk.CfnOutputProps{
		Value:       c.table.TableName(),
		Description: jsii.String("DynamoDB table of frequency caps, identity links, counters"),
	})
	return c
}
