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
// Each tenant's management calls are metered by the usage plan of addTenantPlan: the
// API's key source is AUTHORIZER, so the Lambda authorizer names the tenant's API
// Gateway key (shared/usageplan) and every guarded method requires one. The ingest and
// decision routes keep their own x-api-key check and are limited by the stage throttling
// below and the ingest function's reserved concurrency, not per tenant.
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
		// The authorizer, not the caller, says which usage plan key a request uses.
		ApiKeySourceType: awsapigateway.ApiKeySourceType_AUTHORIZER,
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
	addTenantPlan(stack, api)
	return api
}

// Per-tenant limits of the management API, CDK context keys with their defaults. The
// per-user limit of the functions (600 a minute, shared/ratelimit) sits inside these.
const (
	tenantRateContext  = "tenantRateLimit" // requests per second
	tenantBurstContext = "tenantBurstLimit"
	tenantQuotaContext = "tenantDailyQuota" // requests per UTC day
	tenantRateDefault  = 100
	tenantBurstDefault = 200
	tenantQuotaDefault = 1_000_000
)

// addTenantPlan adds the usage plan that meters each tenant's management calls, one
// API Gateway key per tenant (`adpulse tenant create` attaches it; the stack's output
// TenantUsagePlanId names the plan). Over the throttle a tenant gets 429 with
// Retry-After; over the daily quota 429 until 00:00 UTC.
func addTenantPlan(stack awscdk.Stack, api awsapigateway.RestApi) awsapigateway.UsagePlan {
	plan := api.AddUsagePlan(jsii.String("TenantUsagePlan"), &awsapigateway.UsagePlanProps{
		Description: jsii.String("per-tenant limits of the adpulse management API"),
		Throttle: &awsapigateway.ThrottleSettings{
			RateLimit:  jsii.Number(contextNumber(stack, tenantRateContext, tenantRateDefault)),
			BurstLimit: jsii.Number(contextNumber(stack, tenantBurstContext, tenantBurstDefault)),
		},
		Quota: &awsapigateway.QuotaSettings{
			Limit:  jsii.Number(contextNumber(stack, tenantQuotaContext, tenantQuotaDefault)),
			Period: awsapigateway.Period_DAY,
		},
		ApiStages: &[]*awsapigateway.UsagePlanPerApiStage{
			{Api: api, Stage: api.DeploymentStage()},
		},
	})
	awscdk.NewCfnOutput(stack, jsii.String("TenantUsagePlanId"), &awscdk.CfnOutputProps{
		Value: plan.UsagePlanId(),
		Description: jsii.String("usage plan for `adpulse tenant create --usage-plan` and " +
			"`adpulse tenant attach-plan`"),
	})
	return plan
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
