package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
)

// Stage throttling of the ingest API, in requests per second and burst requests.
const (
	apiRateLimit  = 10000
	apiBurstLimit = 5000
)

// newIngestAPI creates the REST API (stage "prod") with POST /v1/events and
// POST /v1/events/batch, each a Lambda proxy integration to ingest.
//
// There is no API Gateway authorizer or usage plan on purpose: the ingest function checks
// the x-api-key header itself against the ApiKeys table. The management API, with a Lambda
// authorizer, comes later.
func newIngestAPI(stack awscdk.Stack, ingest awslambda.IFunction) awsapigateway.RestApi {
	accessLogs := awslogs.NewLogGroup(stack, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		Retention: awslogs.RetentionDays_ONE_MONTH,
	})

	api := awsapigateway.NewRestApi(stack, jsii.String("Api"), &awsapigateway.RestApiProps{
		RestApiName: jsii.String("adpulse-ingest"),
		Description: jsii.String("adpulse ad-event ingestion"),
		// Every body is passed through as binary (base64 in the proxy event), so gzip
		// request bodies arrive intact; the function decodes them.
		BinaryMediaTypes: jsii.Strings("*/*"),
		// Access logging needs API Gateway's account-level CloudWatch role (one per region).
		CloudWatchRole: jsii.Bool(true),
		DeployOptions: &awsapigateway.StageOptions{
			StageName:            jsii.String("prod"),
			ThrottlingRateLimit:  jsii.Number(apiRateLimit),
			ThrottlingBurstLimit: jsii.Number(apiBurstLimit),
			AccessLogDestination: awsapigateway.NewLogGroupLogDestination(accessLogs),
			AccessLogFormat:      accessLogFormat(),
		},
	})

	integration := awsapigateway.NewLambdaIntegration(ingest, nil) // proxy by default
	v1 := api.Root().AddResource(jsii.String("v1"), nil)
	events := v1.AddResource(jsii.String("events"), nil)
	events.AddMethod(jsii.String("POST"), integration, nil)
	events.AddResource(jsii.String("batch"), nil).AddMethod(jsii.String("POST"), integration, nil)
	return api
}

// accessLogFormat logs every standard field of a request as one JSON object.
func accessLogFormat() awsapigateway.AccessLogFormat {
	all := jsii.Bool(true)
	return awsapigateway.AccessLogFormat_JsonWithStandardFields(
		&awsapigateway.JsonWithStandardFieldProps{
			Caller: all, HttpMethod: all, Ip: all, Protocol: all, RequestTime: all,
			ResourcePath: all, ResponseLength: all, Status: all, User: all,
		})
}
