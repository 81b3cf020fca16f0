package events_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/shared/principal"
)

var managementCases = []struct {
	file             string
	method, resource string
	role             string // the authorizer's role; "" for a public route
	bodyKey          string // a member of the JSON body; "" when there is no body
}{
	{"auth/login.json", "POST", "/v1/auth/login", "", "password"},
	{"auth/refresh.json", "POST", "/v1/auth/refresh", "", "refresh_token"},
	{"auth/jwks.json", "GET", "/.well-known/jwks.json", "", ""},
	{"admin/create-user.json", "POST", "/v1/users", "admin", "role"},
	{"admin/create-api-key.json", "POST", "/v1/api-keys", "admin", "label"},
	{"admin/revoke-api-key.json", "DELETE", "/v1/api-keys/{id}", "admin", ""},
	{"campaigns/create.json", "POST", "/v1/campaigns", "campaign_manager", "budget"},
	{"campaigns/patch.json", "PATCH", "/v1/campaigns/{id}", "campaign_manager", "name"},
	{"campaigns/list.json", "GET", "/v1/campaigns", "campaign_manager", ""},
}

func TestManagementSamples(t *testing.T) {
	for _, tc := range managementCases {
		t.Run(tc.file, func(t *testing.T) {
			var req events.APIGatewayProxyRequest
			if _, err := decodeStrict(filepath.FromSlash(tc.file), &req); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if req.HTTPMethod != tc.method || req.Resource != tc.resource ||
				req.RequestContext.ResourcePath != tc.resource {
				t.Errorf("route %s %s (%s), want %s %s", req.HTTPMethod, req.Resource,
					req.RequestContext.ResourcePath, tc.method, tc.resource)
			}

			// Behind the authorizer the functions read the principal from the context.
			p, err := principal.FromRequest(&req)
			switch {
			case tc.role == "" && req.RequestContext.Authorizer != nil:
				t.Errorf("public route sample has an authorizer context")
			case tc.role != "" && (err != nil || string(p.Role) != tc.role):
				t.Errorf("principal = %+v, %v; want role %s", p, err, tc.role)
			}

			// Bodies arrive base64-encoded: the API's binary media types are */*.
			if tc.bodyKey == "" {
				if req.Body != "" {
					t.Errorf("unexpected body %q", req.Body)
				}
				return
			}
			var body map[string]any
			if !req.IsBase64Encoded || json.Unmarshal(b64(t, req.Body), &body) != nil {
				t.Fatalf("body is not a base64-encoded JSON object: %q", req.Body)
			}
			if _, ok := body[tc.bodyKey]; !ok {
				t.Errorf("body lacks %q: %v", tc.bodyKey, body)
			}
		})
	}
}

var authorizerCases = []struct{ file, method, path string }{
	{"bearer.json", "GET", "/v1/campaigns"},
}

func TestAuthorizerSamples(t *testing.T) {
	for _, tc := range authorizerCases {
		t.Run(tc.file, func(t *testing.T) {
			var req events.APIGatewayCustomAuthorizerRequestTypeRequest
			if _, err := decodeStrict(filepath.Join("authorizer", tc.file), &req); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if req.Type != "REQUEST" || req.HTTPMethod != tc.method || req.Path != tc.path {
				t.Errorf("type %s, route %s %s", req.Type, req.HTTPMethod, req.Path)
			}
			if !strings.HasSuffix(req.MethodArn, "/prod/"+tc.method+tc.path) {
				t.Errorf("methodArn %s", req.MethodArn)
			}
			if !strings.HasPrefix(req.Headers["Authorization"], "Bearer ") {
				t.Errorf("Authorization header %q", req.Headers["Authorization"])
			}
		})
	}
}
