package mgmt_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestUserRateLimit runs a local stack whose management functions allow 3 requests per
// user per hour, and checks the per-user limit end to end: the fourth request of a user,
// to any management function, gets 429 with Retry-After and the error shape; another
// tenant's user is not affected.
func TestUserRateLimit(t *testing.T) {
	s := startStackWith(t, map[string]string{
		"USER_RATE_LIMIT": "3", "USER_RATE_WINDOW_SECONDS": "3600"})
	c := newClient(t, s.APIURL())
	ctx := context.Background()
	a, err := s.CreateAccount(ctx, "Tenant A", "admin@a.example")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.CreateAccount(ctx, "Tenant B", "admin@b.example")
	if err != nil {
		t.Fatal(err)
	}
	tokenA, _ := login(t, c, a.AdminEmail, a.AdminPassword) // sign-in is not counted
	tokenB, _ := login(t, c, b.AdminEmail, b.AdminPassword)

	// A window ends on the hour; a run that crosses one starts again in the next.
	hour := time.Now().UTC().Truncate(time.Hour)
	paths := []string{"/v1/campaigns", "/v1/users", "/v1/rules"} // three functions
	for i, path := range paths {
		r := c.do(t, req{method: "GET", path: path, token: tokenA})
		if r.status != http.StatusOK {
			if time.Now().UTC().Truncate(time.Hour) != hour {
				t.Skip("the run crossed an hour boundary; the counts restarted")
			}
			t.Fatalf("request %d (%s): got %d %s, want 200", i+1, path, r.status, r.body)
		}
	}

	r := c.do(t, req{method: "GET", path: "/v1/reports/campaigns?start=2026-01-01&end=2026-01-31",
		token: tokenA})
	if r.status != http.StatusTooManyRequests {
		if time.Now().UTC().Truncate(time.Hour) != hour {
			t.Skip("the run crossed an hour boundary; the counts restarted")
		}
		t.Fatalf("fourth request: got %d %s, want 429", r.status, r.body)
	}
	if r.code() != "rate_limited" {
		t.Errorf("code: got %q, want rate_limited", r.code())
	}
	secs, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > 3600 {
		t.Errorf("Retry-After: got %q, want 1 to 3600 seconds", r.header.Get("Retry-After"))
	}
	if r.header.Get("Strict-Transport-Security") == "" {
		t.Errorf("429 lacks the API's security headers: %v", r.header)
	}

	// Tenant B's admin has its own counter.
	want(t, "tenant B", c.do(t, req{method: "GET", path: "/v1/campaigns", token: tokenB}),
		http.StatusOK)
}
