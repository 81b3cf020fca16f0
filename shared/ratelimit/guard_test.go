package ratelimit

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// request is a proxy request from user of tenant (no principal when user is empty).
func request(method, tenant, user string) events.APIGatewayProxyRequest {
	req := events.APIGatewayProxyRequest{HTTPMethod: method, Path: "/v1/campaigns",
		Headers: map[string]string{"Origin": "https://console.example"}}
	req.RequestContext.RequestID = "req-1"
	if user != "" {
		req.RequestContext.Authorizer = map[string]any{"tenant_id": tenant, "user_id": user,
			"role": "analyst", "email": "a@example.com"}
	}
	return req
}

func TestGuard(t *testing.T) {
	// GIVEN a limit of 2 a minute WHEN requests arrive THEN the guard lets 2 of one user
	// through, answers the third with 429, Retry-After and the error shape without calling
	// the function, and never counts preflights or requests without a principal.
	db := newTable(t)
	now := time.Date(2026, 12, 4, 10, 15, 30, 0, time.UTC)
	l := &Limiter{DB: db, Table: "RateLimits", Limit: 2, Window: time.Minute,
		Now: func() time.Time { return now }}
	calls := 0
	next := func(context.Context, events.APIGatewayProxyRequest) (
		events.APIGatewayProxyResponse, error) {
		calls++
		return events.APIGatewayProxyResponse{StatusCode: http.StatusOK}, nil
	}
	quiet := slog.New(slog.NewJSONHandler(io.Discard, nil))
	h := Guard(l, []string{"https://console.example"}, quiet, next)

	steps := []struct {
		name         string
		req          events.APIGatewayProxyRequest
		status       int
		nextCalled   bool
		retryAfter   string
		allowOrigins string
	}{
		{"first", request(http.MethodGet, "t1", "u1"), 200, true, "", ""},
		{"preflight is not counted", request(http.MethodOptions, "t1", "u1"), 200, true, "", ""},
		{"no principal is not counted", request(http.MethodGet, "", ""), 200, true, "", ""},
		{"second", request(http.MethodPost, "t1", "u1"), 200, true, "", ""},
		{"third is refused", request(http.MethodGet, "t1", "u1"), 429, false, "30",
			"https://console.example"},
		{"same user id in another tenant", request(http.MethodGet, "t2", "u1"), 200, true,
			"", ""},
	}
	for _, s := range steps {
		before := calls
		resp, err := h(context.Background(), s.req)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if resp.StatusCode != s.status || (calls > before) != s.nextCalled {
			t.Errorf("%s: got %d, function called %v; want %d, %v", s.name, resp.StatusCode,
				calls > before, s.status, s.nextCalled)
		}
		if s.status != http.StatusTooManyRequests {
			continue
		}
		if got := resp.Headers["Retry-After"]; got != s.retryAfter {
			t.Errorf("%s: Retry-After %q, want %q", s.name, got, s.retryAfter)
		}
		if got := resp.Headers["Access-Control-Allow-Origin"]; got != s.allowOrigins {
			t.Errorf("%s: Access-Control-Allow-Origin %q, want %q", s.name, got, s.allowOrigins)
		}
		var body struct {
			Error     struct{ Code, Message string }
			RequestID string `json:"request_id"`
		}
		if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
			t.Fatal(err)
		}
		want := "over 2 requests in 60 s from this user; retry after 30 s"
		if body.Error.Code != "rate_limited" || body.Error.Message != want ||
			body.RequestID != "req-1" {
			t.Errorf("%s: body %s", s.name, resp.Body)
		}
	}
}

func TestGuardLetsThroughWhenTheCounterFails(t *testing.T) {
	// GIVEN a counter table that cannot be reached WHEN a user asks THEN the function
	// answers: a broken limiter does not take the API down.
	l := &Limiter{DB: failingDB{}, Table: "RateLimits", Limit: 1, Window: time.Minute}
	called := false
	next := func(context.Context, events.APIGatewayProxyRequest) (
		events.APIGatewayProxyResponse, error) {
		called = true
		return events.APIGatewayProxyResponse{StatusCode: http.StatusOK}, nil
	}
	quiet := slog.New(slog.NewJSONHandler(io.Discard, nil))
	resp, err := Guard(l, nil, quiet, next)(context.Background(),
		request(http.MethodGet, "t1", "u1"))
	if err != nil || !called || resp.StatusCode != http.StatusOK {
		t.Fatalf("got %d, %v, called %v", resp.StatusCode, err, called)
	}
}

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name, table, limit, window string
		want                       *Limiter
		wantErr                    bool
	}{
		{name: "no table, no limit"},
		{name: "defaults", table: "T",
			want: &Limiter{Table: "T", Limit: DefaultLimit, Window: DefaultWindow}},
		{name: "set", table: "T", limit: "5", window: "10",
			want: &Limiter{Table: "T", Limit: 5, Window: 10 * time.Second}},
		{name: "zero limit", table: "T", limit: "0", wantErr: true},
		{name: "bad limit", table: "T", limit: "ten", wantErr: true},
		{name: "bad window", table: "T", window: "-1", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("RATE_LIMITS_TABLE", tc.table)
			t.Setenv("USER_RATE_LIMIT", tc.limit)
			t.Setenv("USER_RATE_WINDOW_SECONDS", tc.window)
			got, err := FromEnv(nil)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if tc.want == nil || got == nil {
				if (tc.want == nil) != (got == nil) {
					t.Fatalf("got %+v, want %+v", got, tc.want)
				}
				return
			}
			if got.Table != tc.want.Table || got.Limit != tc.want.Limit ||
				got.Window != tc.want.Window {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
