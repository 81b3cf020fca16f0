package main

import (
	"maps"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
)

// route is one method of a resource path under the API root.
type route struct {
	method string
	path   string // e.g. "v1/campaigns/{id}"
}

// Routes of each management function. Public routes take no token.
var (
	authRoutes = []route{
		{"POST", "v1/auth/login"}, {"POST", "v1/auth/refresh"}, {"POST", "v1/auth/logout"},
		{"GET", ".well-known/jwks.json"}, {"GET", "v1/openapi.json"},
	}
	adminRoutes = []route{
		{"POST", "v1/users"}, {"GET", "v1/users"},
		{"GET", "v1/users/{id}"}, {"PATCH", "v1/users/{id}"},
		{"POST", "v1/api-keys"}, {"GET", "v1/api-keys"}, {"DELETE", "v1/api-keys/{id}"},
	}
	campaignRoutes = []route{
		{"POST", "v1/campaigns"}, {"GET", "v1/campaigns"},
		{"GET", "v1/campaigns/{id}"}, {"PUT", "v1/campaigns/{id}"},
		{"PATCH", "v1/campaigns/{id}"}, {"DELETE", "v1/campaigns/{id}"},
		{"PATCH", "v1/campaigns/{id}/status"},
		{"GET", "v1/campaigns/{id}/targeting"}, {"PUT", "v1/campaigns/{id}/targeting"},
		{"GET", "v1/campaigns/{id}/history"},
	}
	// campaignPreflights are answered by the campaigns function itself, without a token:
	// browsers send no Authorization header on a CORS preflight.
	campaignPreflights = []route{
		{"OPTIONS", "v1/campaigns"}, {"OPTIONS", "v1/campaigns/{id}"},
		{"OPTIONS", "v1/campaigns/{id}/status"}, {"OPTIONS", "v1/campaigns/{id}/targeting"},
		{"OPTIONS", "v1/campaigns/{id}/history"},
	}
)

// addManagementRoutes adds the REQUEST authorizer and the routes of the auth, admin and
// campaigns functions, and gives auth and authorizer the API's URL as JWT issuer.
func addManagementRoutes(stack awscdk.Stack, api awsapigateway.RestApi, fns functions) {
	// One cached answer per Authorization header serves every route: the authorizer
	// allows the whole stage (docs/auth.md).
	authorizer := awsapigateway.NewRequestAuthorizer(stack, jsii.String("TokenAuthorizer"),
		&awsapigateway.RequestAuthorizerProps{
			Handler: live(fns.authorizer),
			IdentitySources: &[]*string{
				awsapigateway.IdentitySource_Header(jsii.String("Authorization")),
			},
			ResultsCacheTtl: awscdk.Duration_Seconds(jsii.Number(authorizerCacheTTLSeconds)),
		})
	// A guarded method also counts against the caller's tenant in the usage plan
	// (addTenantPlan): the authorizer returns the tenant's key.
	guarded := &awsapigateway.MethodOptions{
		AuthorizationType: awsapigateway.AuthorizationType_CUSTOM,
		Authorizer:        authorizer,
		ApiKeyRequired:    jsii.Bool(true),
	}

	addRoutes(api, fns.auth, authRoutes, nil)
	addRoutes(api, fns.auth, preflights(authRoutes), nil)
	addRoutes(api, fns.admin, adminRoutes, guarded)
	addRoutes(api, fns.admin, preflights(adminRoutes), nil)
	addRoutes(api, fns.campaigns, campaignRoutes, guarded)
	addRoutes(api, fns.campaigns, campaignPreflights, nil)
	addFeatureRoutes(api, fns, guarded)
	setIssuer(stack, fns, api.RestApiId())
}

// addRoutes adds each route as a Lambda proxy method to fn, creating resources on the
// way. opts is nil for a public route.
func addRoutes(api awsapigateway.RestApi, fn awslambda.Function, routes []route,
	opts *awsapigateway.MethodOptions) {
	// One invoke permission per function for the whole API, instead of two per method:
	// the function's resource policy stays small as routes are added.
	integration := awsapigateway.NewLambdaIntegration(live(fn),
		&awsapigateway.LambdaIntegrationOptions{ScopePermissionToMethod: jsii.Bool(false)})
	for _, r := range routes {
		var res awsapigateway.IResource = api.Root()
		for _, part := range strings.Split(r.path, "/") {
			if child := res.GetResource(jsii.String(part)); child != nil {
				res = child
			} else {
				res = res.AddResource(jsii.String(part), nil)
			}
		}
		res.AddMethod(jsii.String(r.method), integration, opts)
	}
}

// errorBody is the body of the gateway's own error answers, in the API's error shape
// (shared/httpapi) with the request id.
func errorBody(code, message string) *string {
	return jsii.String(`{"error":{"code":"` + code + `","message":"` + message +
		`"},"request_id":"$context.requestId"}`)
}

// securityResponseHeaders are shared/httpapi's security headers, as gateway response
// parameters (static values are quoted). A static gateway response value cannot hold a
// single quote, so Content-Security-Policy is "sandbox" (no quoted keywords): the error
// document runs no script and has an opaque origin, which is what 'none' achieves.
var securityResponseHeaders = map[string]*string{
	"Content-Security-Policy":   jsii.String("'sandbox'"),
	"Content-Type":              jsii.String("'application/json'"),
	"Cache-Control":             jsii.String("'no-store'"),
	"X-Content-Type-Options":    jsii.String("'nosniff'"),
	"X-Frame-Options":           jsii.String("'DENY'"),
	"Referrer-Policy":           jsii.String("'no-referrer'"),
	"Strict-Transport-Security": jsii.String("'max-age=63072000; includeSubDomains'"),
}

// addErrorResponses makes API Gateway's own answers use the API's error shape, security
// headers and request id: 401 for a missing or invalid token, 403 when the policy denies
// the route or the tenant has no usage plan key, 429 when throttled (with Retry-After)
// or over the daily quota, 413 payload_too_large for a body over its 10 MB limit (the
// code the ingest function gives a body over 1 MB), and every other 4xx and 5xx it
// produces itself.
func addErrorResponses(api awsapigateway.RestApi) {
	responses := []struct {
		id, status, code, message string
		typ                       awsapigateway.ResponseType
	}{
		{"Unauthorized", "401", "unauthorized", "missing or invalid access token",
			awsapigateway.ResponseType_UNAUTHORIZED()},
		{"AccessDenied", "403", "forbidden", "access denied",
			awsapigateway.ResponseType_ACCESS_DENIED()},
		{"Throttled", "429", "rate_limited", "too many requests",
			awsapigateway.ResponseType_THROTTLED()},
		{"QuotaExceeded", "429", "quota_exceeded",
			"the tenant's daily request quota is used up; it resets at 00:00 UTC",
			awsapigateway.ResponseType_QUOTA_EXCEEDED()},
		{"NoUsagePlanKey", "403", "forbidden",
			"the tenant is not attached to the API's usage plan",
			awsapigateway.ResponseType_INVALID_API_KEY()},
		{"RequestTooLarge", "413", "payload_too_large", "the request body is too large",
			awsapigateway.ResponseType_REQUEST_TOO_LARGE()},
		{"Default4xx", "", "bad_request", "the gateway refused the request",
			awsapigateway.ResponseType_DEFAULT_4XX()},
		{"Default5xx", "", "internal", "internal error",
			awsapigateway.ResponseType_DEFAULT_5XX()},
	}
	for _, r := range responses {
		var status *string // the default responses keep the status of the error
		if r.status != "" {
			status = jsii.String(r.status)
		}
		// A gateway response carries only static values: the throttle refills every
		// second; the daily quota resets at 00:00 UTC, so retry hourly until then.
		headers := securityResponseHeaders
		retry := map[string]string{"Throttled": "'1'", "QuotaExceeded": "'3600'"}[r.id]
		if retry != "" {
			headers = maps.Clone(securityResponseHeaders)
			headers["Retry-After"] = jsii.String(retry)
		}
		api.AddGatewayResponse(jsii.String(r.id), &awsapigateway.GatewayResponseOptions{
			Type:            r.typ,
			StatusCode:      status,
			ResponseHeaders: &headers,
			Templates: &map[string]*string{
				"application/json": errorBody(r.code, r.message),
			},
		})
	}
}
