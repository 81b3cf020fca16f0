package apigw_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/devstack/apigw"
	"github.com/adpulse/adpulse/devstack/lambdarun"
	"github.com/adpulse/adpulse/devstack/template"
)

// authInvoker plays both an authorizer, whose answer depends on the bearer token, and
// a function, which echoes requestContext.authorizer.
type authInvoker struct {
	calls atomic.Int64 // authorizer invocations
	last  atomic.Value // last authorizer event
}

func (f *authInvoker) Invoke(_ context.Context, name string, payload []byte) (
	lambdarun.Result, error) {
	if name != "Authz" {
		var ev events.APIGatewayProxyRequest
		_ = json.Unmarshal(payload, &ev)
		body, _ := json.Marshal(ev.RequestContext.Authorizer)
		resp, _ := json.Marshal(events.APIGatewayProxyResponse{StatusCode: 200,
			Body: string(body)})
		return lambdarun.Result{Payload: resp}, nil
	}
	f.calls.Add(1)
	var ev events.APIGatewayCustomAuthorizerRequestTypeRequest
	if err := json.Unmarshal(payload, &ev); err != nil {
		return lambdarun.Result{}, err
	}
	f.last.Store(ev)
	policy := func(effect, resource string) []byte {
		out, _ := json.Marshal(events.APIGatewayCustomAuthorizerResponse{
			PrincipalID: "u_1",
			PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{Version: "2012-10-17",
				Statement: []events.IAMPolicyStatement{{Action: []string{"execute-api:Invoke"},
					Effect: effect, Resource: []string{resource}}}},
			Context: map[string]any{"tenant_id": "t_1", "role": "admin"},
		})
		return out
	}
	stage := strings.SplitN(ev.MethodArn, "/", 3)
	switch ev.Headers["Authorization"] {
	case "Bearer ok":
		return lambdarun.Result{Payload: policy("Allow", stage[0]+"/"+stage[1]+"/*/*")}, nil
	case "Bearer get-only":
		return lambdarun.Result{Payload: policy("Allow", stage[0]+"/"+stage[1]+"/GET/*")}, nil
	case "Bearer deny":
		return lambdarun.Result{Payload: policy("Deny", "*")}, nil
	case "Bearer crash":
		return lambdarun.Result{Payload: []byte(`{"errorMessage":"boom"}`),
			FunctionError: "Unhandled"}, nil
	}
	return lambdarun.Result{Payload: []byte(`{"errorMessage":"Unauthorized",` +
		`"errorType":"errorString"}`), FunctionError: "Unhandled"}, nil
}

// startGuarded serves GET and POST /things/{id} behind a REQUEST authorizer (TTL ttl);
// only ACCESS_DENIED has a gateway response.
func startGuarded(t *testing.T, inv apigw.Invoker, ttl time.Duration) *apigw.Server {
	t.Helper()
	api := template.API{ID: "api1", Stage: "prod",
		Routes: []template.Route{
			{ResourceID: "R", Path: "/things/{id}", Method: "GET", FunctionID: "Fn",
				AuthorizerID: "Auth"},
			{ResourceID: "R", Path: "/things/{id}", Method: "POST", FunctionID: "Fn",
				AuthorizerID: "Auth"},
		},
		Authorizers: map[string]template.Authorizer{"Auth": {LogicalID: "Auth",
			Type: "REQUEST", FunctionID: "AuthFn", Headers: []string{"Authorization"},
			TTL: ttl}},
		GatewayResponses: map[string]template.GatewayResponse{"ACCESS_DENIED": {
			Status: 403, Headers: map[string]string{"X-Frame-Options": "DENY"},
			Template: `{"error":{"code":"forbidden"},"request_id":"$context.requestId"}`}},
	}
	s := apigw.New(api, map[string]string{"Fn": "Fn", "AuthFn": "Authz"}, inv,
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func send(t *testing.T, s *apigw.Server, method, auth string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL()+"/things/7?q=1", nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

func TestAuthorizerAnswers(t *testing.T) {
	inv := &authInvoker{}
	s := startGuarded(t, inv, time.Minute)
	cases := []struct {
		name, method, auth string
		status             int
		body               string // substring
		calls              int64  // authorizer invocations so far
	}{
		{"no header: 401, authorizer not called", "GET", "", 401,
			`{"message":"Unauthorized"}`, 0},
		{"Unauthorized error: 401", "GET", "Bearer forged", 401, `"Unauthorized"`, 1},
		{"errors are not cached", "GET", "Bearer forged", 401, `"Unauthorized"`, 2},
		{"other error: 500", "GET", "Bearer crash", 500, `{"message":null}`, 3},
		{"deny: 403 in the gateway response", "GET", "Bearer deny", 403,
			`{"error":{"code":"forbidden"},"request_id":"`, 4},
		{"allow: context and principalId", "GET", "Bearer ok", 200,
			`"principalId":"u_1"`, 5},
		{"cached for the TTL", "POST", "Bearer ok", 200, `"tenant_id":"t_1"`, 5},
		{"policy for GET only", "GET", "Bearer get-only", 200, `"role":"admin"`, 6},
		{"cached policy checked against another method", "POST", "Bearer get-only", 403,
			`"code":"forbidden"`, 6},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body, hdr := send(t, s, tc.method, tc.auth)
			if status != tc.status || !strings.Contains(body, tc.body) {
				t.Errorf("got %d %s, want %d containing %s", status, body, tc.status, tc.body)
			}
			if got := inv.calls.Load(); got != tc.calls {
				t.Errorf("authorizer calls = %d, want %d", got, tc.calls)
			}
			if status == 403 && hdr.Get("X-Frame-Options") != "DENY" {
				t.Errorf("gateway response headers missing: %v", hdr)
			}
		})
	}

	ev := inv.last.Load().(events.APIGatewayCustomAuthorizerRequestTypeRequest)
	want := "arn:aws:execute-api:us-east-1:000000000000:api1/prod/GET/things/7"
	if ev.Type != "REQUEST" || ev.MethodArn != want || ev.Resource != "/things/{id}" ||
		ev.PathParameters["id"] != "7" || ev.QueryStringParameters["q"] != "1" ||
		ev.RequestContext.Stage != "prod" || ev.RequestContext.RequestID == "" {
		t.Errorf("authorizer event = %+v", ev)
	}
}

func TestRepeatedIdentityHeaderIsItsOwnCacheEntry(t *testing.T) {
	inv := &authInvoker{}
	s := startGuarded(t, inv, time.Minute)
	do := func(values ...string) int {
		req, _ := http.NewRequest("GET", s.URL()+"/things/7", nil)
		for _, v := range values {
			req.Header.Add("Authorization", v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	// The fake authorizer reads the last value (as the headers map of the event holds
	// it) and allows "Bearer ok".
	if got := do("Bearer deny", "Bearer ok"); got != 200 {
		t.Fatalf("two values: got %d, want 200", got)
	}
	// THEN the allow is not served again for the first value alone.
	if got := do("Bearer deny"); got != 403 {
		t.Errorf("first value alone after two: got %d, want 403 from its own call", got)
	}
	if got := inv.calls.Load(); got != 2 {
		t.Errorf("authorizer calls = %d, want 2", got)
	}
}

func TestAuthorizerWithoutCache(t *testing.T) {
	inv := &authInvoker{}
	s := startGuarded(t, inv, 0)
	for range 2 {
		if status, body, _ := send(t, s, "GET", "Bearer ok"); status != 200 {
			t.Fatalf("got %d %s", status, body)
		}
	}
	if got := inv.calls.Load(); got != 2 {
		t.Errorf("TTL 0: authorizer calls = %d, want 2", got)
	}
}
