package httpapi_test

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/shared/httpapi"
)

func TestPreflight(t *testing.T) {
	allowed := []string{"https://console.example.com"}
	cases := []struct {
		name, origin string
		allowOrigin  string // expected Access-Control-Allow-Origin
	}{
		{"allowed origin", "https://console.example.com", "https://console.example.com"},
		{"other origin", "https://evil.example.com", ""},
		{"no origin", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// GIVEN an OPTIONS request without a token WHEN answered as a preflight
			req := &events.APIGatewayProxyRequest{HTTPMethod: "OPTIONS",
				Headers:        map[string]string{"Origin": tc.origin},
				RequestContext: events.APIGatewayProxyRequestContext{RequestID: "r-1"}}
			out := httpapi.NewResponder(req, allowed).Preflight("GET, POST")
			// THEN 204, no body, CORS only for the allow-list, security headers always.
			h := out.Headers
			if out.StatusCode != 204 || out.Body != "" {
				t.Errorf("got %d %q, want 204 and no body", out.StatusCode, out.Body)
			}
			if h["Access-Control-Allow-Origin"] != tc.allowOrigin {
				t.Errorf("Allow-Origin = %q, want %q", h["Access-Control-Allow-Origin"],
					tc.allowOrigin)
			}
			if h["Access-Control-Allow-Methods"] != "GET, POST" ||
				h["Access-Control-Allow-Headers"] != httpapi.PreflightHeaders ||
				h["X-Content-Type-Options"] != "nosniff" || h["X-Request-Id"] != "r-1" {
				t.Errorf("headers = %v", h)
			}
		})
	}
}
