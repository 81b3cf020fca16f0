package events_test

import (
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func init() { contentChecks["health/get.json"] = "TestHealthSample" }

// TestHealthSample: GET /v1/health is public and carries no credential of any kind.
func TestHealthSample(t *testing.T) {
	var req events.APIGatewayProxyRequest
	if _, err := decodeStrict(filepath.FromSlash("health/get.json"), &req); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if req.HTTPMethod != "GET" || req.Resource != "/v1/health" ||
		req.RequestContext.ResourcePath != "/v1/health" || req.Body != "" {
		t.Errorf("route %s %s (%s) body %q", req.HTTPMethod, req.Resource,
			req.RequestContext.ResourcePath, req.Body)
	}
	if req.RequestContext.Authorizer != nil || req.Headers["x-api-key"] != "" ||
		req.Headers["Authorization"] != "" {
		t.Errorf("public health sample carries credentials")
	}
}
