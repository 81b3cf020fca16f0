package apigw_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/devstack/apigw"
	"github.com/adpulse/adpulse/devstack/lambdarun"
	"github.com/adpulse/adpulse/devstack/template"
)

// keyInvoker is an authorizer that allows every token and names the usage plan key
// after it ("Bearer a" → "key-a"; "Bearer none" → no key), and a function answering 200.
type keyInvoker struct{}

func (keyInvoker) Invoke(_ context.Context, name string, payload []byte) (
	lambdarun.Result, error) {
	if name != "Authz" {
		return lambdarun.Result{Payload: []byte(`{"statusCode":200,"body":"ok"}`)}, nil
	}
	var ev events.APIGatewayCustomAuthorizerRequestTypeRequest
	if err := json.Unmarshal(payload, &ev); err != nil {
		return lambdarun.Result{}, err
	}
	tenant := strings.TrimPrefix(ev.Headers["Authorization"], "Bearer ")
	resp := events.APIGatewayCustomAuthorizerResponse{PrincipalID: "u_" + tenant,
		PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{Version: "2012-10-17",
			Statement: []events.IAMPolicyStatement{{Action: []string{"execute-api:Invoke"},
				Effect: "Allow", Resource: []string{"*"}}}}}
	if tenant != "none" {
		resp.UsageIdentifierKey = "key-" + tenant
	}
	out, err := json.Marshal(resp)
	return lambdarun.Result{Payload: out}, err
}

// clock is a settable time.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestUsagePlanMetersEachKey(t *testing.T) {
	api := template.API{ID: "api1", Stage: "prod", KeySource: "AUTHORIZER",
		Routes: []template.Route{
			{ResourceID: "R", Path: "/things", Method: "GET", FunctionID: "Fn",
				AuthorizerID: "Auth", APIKeyRequired: true},
			{ResourceID: "O", Path: "/open", Method: "GET", FunctionID: "Fn"},
		},
		Authorizers: map[string]template.Authorizer{"Auth": {LogicalID: "Auth",
			Type: "REQUEST", FunctionID: "AuthFn", Headers: []string{"Authorization"},
			TTL: time.Hour}},
		GatewayResponses: map[string]template.GatewayResponse{"THROTTLED": {Status: 429,
			Headers:  map[string]string{"Retry-After": "1"},
			Template: `{"error":{"code":"rate_limited"}}`}},
		// 2 requests a second, 3 at once, 5 a day.
		UsagePlans: []template.UsagePlan{{RateLimit: 2, BurstLimit: 3, QuotaLimit: 5,
			QuotaPeriod: "DAY"}},
	}
	s := apigw.New(api, map[string]string{"Fn": "Fn", "AuthFn": "Authz"}, keyInvoker{},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	clk := &clock{now: time.Date(2026, 12, 4, 23, 59, 0, 0, time.UTC)}
	s.SetClock(clk.Now)
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })

	steps := []struct {
		name       string
		advance    time.Duration
		path, auth string
		status     int
		body       string // substring
		retryAfter string
	}{
		{name: "a: 1 of burst 3", path: "/things", auth: "a", status: 200},
		{name: "a: 2", path: "/things", auth: "a", status: 200},
		{name: "a: 3", path: "/things", auth: "a", status: 200},
		{name: "a: over the burst", path: "/things", auth: "a", status: 429,
			body: `"rate_limited"`, retryAfter: "1"},
		{name: "b has its own bucket", path: "/things", auth: "b", status: 200},
		{name: "no key: 403", path: "/things", auth: "none", status: 403,
			body: `{"message":"Forbidden"}`},
		{name: "public route: not metered", path: "/open", status: 200},
		{name: "a: half a second refills one", advance: 500 * time.Millisecond,
			path: "/things", auth: "a", status: 200},
		{name: "a: and only one", path: "/things", auth: "a", status: 429,
			retryAfter: "1"},
		{name: "a: 5th of the day", advance: 2 * time.Second, path: "/things", auth: "a",
			status: 200},
		{name: "a: quota used up", advance: 10 * time.Second, path: "/things", auth: "a",
			status: 429, body: `{"message":"Limit Exceeded"}`},
		{name: "b: not affected by a's quota", path: "/things", auth: "b", status: 200},
		{name: "a: a new UTC day", advance: time.Minute, path: "/things", auth: "a",
			status: 200},
	}
	for _, st := range steps {
		clk.Add(st.advance)
		req, _ := http.NewRequest("GET", s.URL()+st.path, nil)
		if st.auth != "" {
			req.Header.Set("Authorization", "Bearer "+st.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != st.status || !strings.Contains(string(body), st.body) {
			t.Errorf("%s: got %d %s, want %d containing %s", st.name, resp.StatusCode, body,
				st.status, st.body)
		}
		if got := resp.Header.Get("Retry-After"); got != st.retryAfter {
			t.Errorf("%s: Retry-After %q, want %q", st.name, got, st.retryAfter)
		}
	}
}
