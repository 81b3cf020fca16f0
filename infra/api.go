package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
)

// Stage throttling of the API, in requests per second and burst requests.
const (
	apiRateLimit  = 10000
	apiBurstLimit = 5000
)

// authorizerCacheTTLSeconds is how long API Gateway keeps the authorizer's answer for one
// Authorization header. A disabled user is refused within this plus the authorizer's
// own 30 s user cache.
const authorizerCacheTTLSeconds = 60

// newAPI creates the REST API (stage "prod"): the ingest routes, and the management
// routes of docs/auth.md and docs/campaigns.md, each a Lambda proxy integration.
//
// The ingest routes have no API Gateway authorizer: the ingest function checks the
// x-api-key header itself against the ApiKeys table. Every management route is guarded
// by the Lambda authorizer, except sign-in, JWKS, the OpenAPI document and the campaign
// CORS preflights (OPTIONS), which browsers send without a token.
//
// There is no per-tenant usage plan. API Gateway meters a usage plan by API Gateway API
// keys: each tenant would need one created and attached to the plan when the tenant is
// created (shared/accounts, which has no API Gateway client), and the authorizer would
// have to return it as usageIdentifierKey (it does not), with the API's key source set
// to AUTHORIZER. A plan without those keys would limit nobody, so the stage throttling
// below is the only limit the gateway applies.
func newAPI(stack awscdk.Stack, fns functions) awsapigateway.RestApi {
	accessLogs := awslogs.NewLogGroup(stack, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		Retention: awslogs.RetentionDays_ONE_MONTH,
	})

	api := awsapigateway.NewRestApi(stack, jsii.String("Api"), &awsapigateway.RestApiProps{
		RestApiName: jsii.String("adpulse"),
		Description: jsii.String("adpulse ad-event ingestion and management API"),
		// Every body is passed through as binary (base64 in the proxy event), so gzip
		// request bodies arrive intact; the functions decode them.
		BinaryMediaTypes: jsii.Strings("*/*"),
		// Access logging needs API Gateway's account-level CloudWatch role (one per region).
		CloudWatchRole: jsii.Bool(true),
		DeployOptions: &awsapigateway.StageOptions{
			StageName:            jsii.String("prod"),
			ThrottlingRateLimit:  jsii.Number(apiRateLimit),
			ThrottlingBurstLimit: jsii.Number(apiBurstLimit),
			AccessLogDestination: awsapigateway.NewLogGroupLogDestination(accessLogs),
			AccessLogFormat:      accessLogFormat(),
			TracingEnabled:       jsii.Bool(true),
		},
	})

	ingest := awsapigateway.NewLambdaIntegration(live(fns.ingest), nil) // proxy by default
	v1 := api.Root().AddResource(jsii.String("v1"), nil)
	events := v1.AddResource(jsii.String("events"), nil)
	events.AddMethod(jsii.String("POST"), ingest, nil)
	events.AddResource(jsii.String("batch"), nil).AddMethod(jsii.String("POST"), ingest, nil)

	addManagementRoutes(stack, api, fns)
	addErrorResponses(api)
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
