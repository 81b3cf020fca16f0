package main

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func TestManagementRoutes(t *testing.T) {
	authorizer := ref(logicalID(t, "AWS::ApiGateway::Authorizer", "TokenAuthorizer"))
	groups := []struct {
		name, folder string
		routes       []route
		guard        any // nil: public
	}{
		{"public auth", "auth", authRoutes, nil},
		{"admin", "admin", adminRoutes, authorizer},
		{"campaigns", "campaigns", campaignRoutes, authorizer},
		{"campaign preflights", "campaigns", campaignPreflights, nil},
		{"auth preflights", "auth", preflights(authRoutes), nil},
		{"admin preflights", "admin", preflights(adminRoutes), nil},
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

	t.Run("guarded methods", func(t *testing.T) {
		// THEN no method outside the admin and campaign routes has the authorizer.
		found := tmpl.FindResources(jsii.String("AWS::ApiGateway::Method"),
			obj{"Properties": obj{"AuthorizationType": "CUSTOM"}})
		want := len(adminRoutes) + len(campaignRoutes) + len(ruleRoutes) +
			len(reportRoutes) + len(capRoutes)
		if len(*found) != want {
			t.Errorf("CUSTOM methods: got %d, want %d", len(*found), want)
		}
	})
}

func TestAuthorizer(t *testing.T) {
	// GIVEN the stack WHEN reading the authorizer THEN a REQUEST authorizer on the
	// Authorization header, cached 60 s, running the authorizer function's alias live.
	authorizerARN := ref(liveAliasID(t, "authorizer"))
	check(t, "authorizer", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::ApiGateway::Authorizer"), obj{
			"Type":                         "REQUEST",
			"IdentitySource":               "method.request.header.Authorization",
			"AuthorizerResultTtlInSeconds": 60,
			"AuthorizerUri": obj{"Fn::Join": []any{"", assertions.Match_ArrayWith(
				&[]any{authorizerARN})}},
		})
	})
	check(t, "one authorizer", func() {
		tmpl.ResourceCountIs(jsii.String("AWS::ApiGateway::Authorizer"), jsii.Number(1))
	})
}

func TestGatewayResponses(t *testing.T) {
	cases := []struct {
		typ    string
		status any // nil: the response keeps the status of the error
		code   string
		msg    string // "": any message
	}{
		{"UNAUTHORIZED", "401", "unauthorized", ""},
		{"ACCESS_DENIED", "403", "forbidden", ""},
		{"THROTTLED", "429", "rate_limited", ""},
		{"QUOTA_EXCEEDED", "429", "quota_exceeded", ""},
		{"INVALID_API_KEY", "403", "forbidden", ""},
		{"REQUEST_TOO_LARGE", "413", "payload_too_large", "the request body is too large"},
		{"DEFAULT_4XX", nil, "bad_request", ""},
		{"DEFAULT_5XX", nil, "internal", ""},
	}
	for _, tc := range cases {
		t.Run(tc.typ, func(t *testing.T) {
			// GIVEN the stack WHEN the gateway refuses a request THEN it answers in the
			// API's error shape with the request id and the security headers.
			var msg any = assertions.Match_AnyValue()
			if tc.msg != "" {
				msg = tc.msg
			}
			body := assertions.Match_SerializedJson(obj{
				"error":      obj{"code": tc.code, "message": msg},
				"request_id": "$context.requestId",
			})
			check(t, tc.typ, func() {
				tmpl.HasResourceProperties(jsii.String("AWS::ApiGateway::GatewayResponse"), obj{
					"ResponseType":      tc.typ,
					"StatusCode":        statusMatch(tc.status),
					"ResponseTemplates": obj{"application/json": body},
					"ResponseParameters": like(obj{
						"gatewayresponse.header.Content-Type":            "'application/json'",
						"gatewayresponse.header.X-Content-Type-Options":  "'nosniff'",
						"gatewayresponse.header.Cache-Control":           "'no-store'",
						"gatewayresponse.header.Content-Security-Policy": "'sandbox'",
						"gatewayresponse.header.Strict-Transport-Security": "'max-age=63072000;" +
							" includeSubDomains'",
					}),
				})
			})
		})
	}
}

func TestTenantUsagePlan(t *testing.T) {
	api := ref(logicalID(t, "AWS::ApiGateway::RestApi", "Api"))
	stage := ref(logicalID(t, "AWS::ApiGateway::Stage", "ApiDeploymentStageprod"))

	// GIVEN the stack WHEN reading the API THEN the authorizer names the usage plan key.
	check(t, "key source", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::ApiGateway::RestApi"),
			obj{"ApiKeySourceType": "AUTHORIZER"})
	})
	// THEN one plan meters each tenant on the API's stage with the default limits.
	check(t, "plan", func() {
		tmpl.ResourceCountIs(jsii.String("AWS::ApiGateway::UsagePlan"), jsii.Number(1))
		tmpl.HasResourceProperties(jsii.String("AWS::ApiGateway::UsagePlan"), obj{
			"ApiStages": []any{like(obj{"ApiId": api, "Stage": stage})},
			"Throttle": obj{"RateLimit": tenantRateDefault,
				"BurstLimit": tenantBurstDefault},
			"Quota": obj{"Limit": tenantQuotaDefault, "Period": "DAY"},
		})
	})
	check(t, "plan id output", func() {
		tmpl.HasOutput(jsii.String("TenantUsagePlanId"), obj{
			"Value": ref(logicalID(t, "AWS::ApiGateway::UsagePlan", "ApiTenantUsagePlan"))})
	})
	// THEN exactly the methods behind the authorizer require a key: a public method
	// with ApiKeyRequired would refuse every caller with 403.
	for id, r := range resources {
		if field(r, "Type") != "AWS::ApiGateway::Method" {
			continue
		}
		custom := field(r, "Properties", "AuthorizationType") == "CUSTOM"
		required := field(r, "Properties", "ApiKeyRequired") == true
		if custom != required {
			t.Errorf("%s: AuthorizationType CUSTOM %v but ApiKeyRequired %v", id, custom,
				required)
		}
	}
	// THEN a throttled caller, or one over the quota, is told when to retry.
	for typ, after := range map[string]string{"THROTTLED": "'1'", "QUOTA_EXCEEDED": "'3600'"} {
		check(t, "Retry-After "+typ, func() {
			tmpl.HasResourceProperties(jsii.String("AWS::ApiGateway::GatewayResponse"), obj{
				"ResponseType":       typ,
				"ResponseParameters": like(obj{"gatewayresponse.header.Retry-After": after}),
			})
		})
	}
}

// statusMatch matches a StatusCode property: the value, or its absence when want is nil.
func statusMatch(want any) any {
	if want == nil {
		return assertions.Match_Absent()
	}
	return want
}

func TestSecrets(t *testing.T) {
	// GIVEN the stack WHEN reading the secrets THEN both are kept with the stack, and the
	// cursor secret is 64 generated characters.
	for _, id := range []string{"SigningKey", "CursorSecret"} {
		secret := logicalID(t, "AWS::SecretsManager::Secret", id)
		if got := field(resources[secret], "DeletionPolicy"); got != "Retain" {
			t.Errorf("%s DeletionPolicy: got %v, want Retain", id, got)
		}
	}
	check(t, "cursor secret", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::SecretsManager::Secret"), obj{
			"GenerateSecretString": obj{"PasswordLength": 64, "ExcludePunctuation": true},
		})
	})
	check(t, "no literal secret value", func() {
		tmpl.AllResourcesProperties(jsii.String("AWS::SecretsManager::Secret"), obj{
			"SecretString": assertions.Match_Absent(),
		})
	})
}
