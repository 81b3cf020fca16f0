package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// nagSuppression is one cdk-nag AwsSolutions rule accepted on purpose, with its reason.
type nagSuppression struct {
	id, reason string
	appliesTo  []string // empty: every finding of the rule on the path
	paths      []string // construct paths; empty: the whole stack
}

// nagSuppressions are the AwsSolutions findings the stack accepts (make nag, TestCdkNag).
var nagSuppressions = []nagSuppression{
	{id: "AwsSolutions-IAM4", appliesTo: []string{
		"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
		"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited",
		"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
	}, reason: "AWSLambdaBasicExecutionRole only writes the function's own logs; " +
		"AmazonAPIGatewayPushToCloudWatchLogs is the account-level role API Gateway logs with; " +
		"AWSCodeDeployRoleForLambdaLimited is the scoped role CodeDeploy needs to shift a " +
		"function alias; both are the AWS-maintained minimum for the service"},
	{id: "AwsSolutions-IAM5", appliesTo: []string{"Resource::<CampaignsEB561EE0.Arn>/index/*"},
		reason: "queries by any local index of the Campaigns table only (by_created, " +
			"by_updated, by_name); the wildcard is limited to that one table's indexes"},
	{id: "AwsSolutions-APIG4", reason: "management routes use the Lambda token authorizer, " +
		"ingest and decide authenticate an API key in the function (hash lookup in ApiKeys); " +
		"sign-in, JWKS, health and CORS preflight are public by design (docs/auth.md)"},
	{id: "AwsSolutions-COG4", reason: "tenants, users and sessions live in the Accounts " +
		"table with our own EC P-256 tokens and a Lambda authorizer, not Cognito (docs/auth.md)"},
	{id: "AwsSolutions-APIG2", paths: []string{"/AdpulseStack/Api/Resource"},
		reason: "bodies are validated in the functions (shared/event, shared/campaign) with " +
			"error messages per field; a gateway model would duplicate that schema"},
	{id: "AwsSolutions-APIG6", paths: []string{"/AdpulseStack/Api/DeploymentStage.prod/Resource"},
		reason: "execution logging for every method on the ingest path costs per request; " +
			"stage metrics, alarms and the functions' JSON logs cover operations"},
	{id: "AwsSolutions-SMG4", paths: []string{"/AdpulseStack/SigningKey/Resource",
		"/AdpulseStack/CursorSecret/Resource"},
		reason: "SigningKey is an EC key CloudFormation cannot generate, rotated with " +
			"adpulse signing-key put (keeps the old key for verification); CursorSecret " +
			"rotation only resets list cursors, done by hand (docs/auth.md)"},
	{id: "AwsSolutions-SQS3", paths: []string{"/AdpulseStack/IngestFailures/Resource"},
		reason: "IngestFailures is itself the dead-letter destination of the stream " +
			"mapping and has no consumer, so nothing could move to a DLQ of its own " +
			"(infra/storage.go)"},
}

// tracingSuppression accepts the X-Ray statement that active tracing adds to the default
// policy of every function of fns.
func tracingSuppression(fns functions) nagSuppression {
	var paths []string
	for _, nf := range fns.all() {
		paths = append(paths, *nf.fn.Node().Path()+"/ServiceRole/DefaultPolicy/Resource")
	}
	return nagSuppression{id: "AwsSolutions-IAM5", appliesTo: []string{"Resource::*"},
		paths: paths,
		reason: "active tracing lets each function put X-Ray trace segments and telemetry " +
			"(xray:PutTraceSegments, xray:PutTelemetryRecords), which have no resource " +
			"to scope to; only the functions' default policies are exempted"}
}

// addNagSuppressions records nagSuppressions, and the tracing one of fns, on stack as
// cdk-nag metadata.
func addNagSuppressions(stack awscdk.Stack, fns functions) {
	for _, s := range append(nagSuppressions, tracingSuppression(fns)) {
		sup := &cdknag.NagPackSuppression{Id: jsii.String(s.id), Reason: jsii.String(s.reason)}
		if len(s.appliesTo) > 0 {
			var applies []any
			for _, a := range s.appliesTo {
				applies = append(applies, a)
			}
			sup.AppliesTo = &applies
		}
		sups := &[]*cdknag.NagPackSuppression{sup}
		if len(s.paths) == 0 {
			cdknag.NagSuppressions_AddStackSuppressions(stack, sups, nil)
			continue
		}
		for _, p := range s.paths {
			cdknag.NagSuppressions_AddResourceSuppressionsByPath(stack, jsii.String(p), sups, nil)
		}
	}
}
