package apigw_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/adpulse/adpulse/devstack/apigw"
	"github.com/adpulse/adpulse/devstack/template"
)

// TestPreflightAndRefusalHeaders checks that an unguarded OPTIONS method on a guarded
// resource reaches its function without a token (as the CDK stack's management
// preflights do), and that the proxy's own 401 carries the gateway response's headers.
func TestPreflightAndRefusalHeaders(t *testing.T) {
	inv := &authInvoker{}
	api := template.API{ID: "api1", Stage: "prod",
		Routes: []template.Route{
			{ResourceID: "R", Path: "/things/{id}", Method: "GET", FunctionID: "Fn",
				AuthorizerID: "Auth"},
			{ResourceID: "R", Path: "/things/{id}", Method: "OPTIONS", FunctionID: "Fn"},
		},
		Authorizers: map[string]template.Authorizer{"Auth": {LogicalID: "Auth",
			Type: "REQUEST", FunctionID: "AuthFn", Headers: []string{"Authorization"},
			TTL: time.Minute}},
		GatewayResponses: map[string]template.GatewayResponse{"UNAUTHORIZED": {
			Status: 401, Headers: map[string]string{
				"Content-Security-Policy":   "sandbox",
				"X-Content-Type-Options":    "nosniff",
				"Strict-Transport-Security": "max-age=63072000; includeSubDomains"},
			Template: `{"error":{"code":"unauthorized"},"request_id":"$context.requestId"}`}},
	}
	s := apigw.New(api, map[string]string{"Fn": "Fn", "AuthFn": "Authz"}, inv,
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })

	cases := []struct {
		name, method string
		status       int
		body         string            // substring
		headers      map[string]string // expected header values
	}{
		{"preflight without a token reaches the function", "OPTIONS", 200, "null", nil},
		{"GET without a token: 401 with security headers", "GET", 401,
			`"code":"unauthorized"},"request_id":"`, map[string]string{
				"Content-Security-Policy":   "sandbox",
				"X-Content-Type-Options":    "nosniff",
				"Strict-Transport-Security": "max-age=63072000; includeSubDomains"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body, hdr := send(t, s, tc.method, "")
			if status != tc.status || !strings.Contains(body, tc.body) {
				t.Errorf("got %d %s, want %d containing %s", status, body, tc.status, tc.body)
			}
			for k, v := range tc.headers {
				if got := hdr.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if strings.Contains(body, "$context") {
				t.Errorf("request id not substituted: %s", body)
			}
		})
	}
	if got := inv.calls.Load(); got != 0 {
		t.Errorf("authorizer calls = %d, want 0", got)
	}
}
