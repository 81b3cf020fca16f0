package main

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
)

// reportRoutes are the routes of the reports function, behind the authorizer.
var reportRoutes = []route{
	{"GET", "v1/campaigns/{id}/reports"}, {"GET", "v1/reports/campaigns"},
}

// addReports creates the reports function (docs/reports.md): it only reads, the rollups
// of the Aggregates table and the campaigns.
func addReports(stack awscdk.Stack, st storage, assetDir func(string) string,
	origins []string) awslambda.Function {
	fn := newFunction(stack, assetDir, functionSpec{
		id: "Reports", folder: "reports",
		// A 90-day report in a non-UTC zone merges about 2,000 dense sketches.
		memoryMB: 512,
		timeout:  awscdk.Duration_Seconds(jsii.Number(30)),
		reserved: reportsReservedConcurrency,
		env: map[string]*string{
			"AGGREGATES_TABLE":     st.aggregates.TableName(),
			"CAMPAIGNS_TABLE":      st.campaigns.TableName(),
			"CORS_ALLOWED_ORIGINS": jsii.String(strings.Join(origins, ",")),
			"LOG_LEVEL":            jsii.String("info"),
		},
	})
	allow(fn, st.aggregates.TableArn(), "dynamodb:Query")
	allow(fn, st.campaigns.TableArn(), "dynamodb:GetItem", "dynamodb:Query")
	allow(fn, indexARN(st.campaigns, "*"), "dynamodb:Query")
	return fn
}
