package mgmt_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/adpulse/adpulse/devstack"
	"github.com/adpulse/adpulse/devstack/internal/kumotest"
	"github.com/adpulse/adpulse/docs"
	"github.com/adpulse/adpulse/shared/accounts"
)

// env is what the subtests of TestManagementAPI share: one stack, two tenants.
type env struct {
	stack *devstack.Stack
	c     *client
	a, b  accounts.Credentials // tenants A and B, from accounts.CreateTenant
	// Access tokens of tenant A's admin, campaign manager and analyst, and B's admin.
	adminA, managerA, analystA, adminB string
	userA                              string // id of A's analyst
	campaignA                          string // id of a campaign of A
}

// TestManagementAPI drives the management API of a local stack end to end. The
// subtests run in order and build on each other.
func TestManagementAPI(t *testing.T) {
	start := time.Now()
	e := &env{stack: startStack(t)}
	e.c = newClient(t, e.stack.APIURL())
	ctx := context.Background()
	var err error
	if e.a, err = e.stack.CreateAccount(ctx, "Tenant A", "admin@a.example"); err != nil {
		t.Fatal(err)
	}
	if e.b, err = e.stack.CreateAccount(ctx, "Tenant B", "admin@b.example"); err != nil {
		t.Fatal(err)
	}
	t.Logf("stack and two tenants ready in %v", time.Since(start).Round(time.Millisecond))

	steps := []struct {
		name string
		fn   func(*testing.T, *env)
	}{
		{"public documents", publicDocuments},
		{"sign-in and sessions", signIn},
		{"users and roles", usersAndRoles},
		{"admin bodies", adminBodies},
		{"campaign life", campaignLife},
		{"same ETag twice", sameETagTwice},
		{"analyst is read-only", analystReadOnly},
		{"tenant isolation", tenantIsolation},
		{"forged tokens", forgedTokens},
		{"ingest keys", ingestKeys},
	}
	for _, s := range steps {
		if !t.Run(s.name, func(t *testing.T) { s.fn(t, e) }) {
			t.Fatalf("%s failed; later steps depend on it", s.name)
		}
	}
	t.Logf("management API suite took %v", time.Since(start).Round(time.Millisecond))
}

// startStack runs the synthesized template with the real functions.
func startStack(t *testing.T) *devstack.Stack {
	t.Helper()
	return startStackWith(t, nil)
}

// startStackWith is startStack with env added to every function's environment.
func startStackWith(t *testing.T, env map[string]string) *devstack.Stack {
	t.Helper()
	root := kumotest.Root(t)
	tpl := filepath.Join(root, devstack.TemplatePath)
	if _, err := os.Stat(tpl); err != nil {
		t.Fatalf("%s is missing: run make synth (make test does)", tpl)
	}
	s, err := devstack.Start(context.Background(), devstack.Config{
		Root: root, Template: tpl, StateDir: t.TempDir(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Env: env,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// want fails the test unless r has status.
func want(t *testing.T, what string, r reply, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: got %d %.300s, want %d", what, r.status, r.body, status)
	}
}

// login signs in and returns the access and refresh tokens.
func login(t *testing.T, c *client, email, password string) (string, string) {
	t.Helper()
	r := c.do(t, req{method: "POST", path: "/v1/auth/login",
		body: map[string]string{"email": email, "password": password}})
	want(t, "login "+email, r, http.StatusOK)
	var tok struct{ AccessToken, RefreshToken string }
	r.decode(t, &struct {
		A *string `json:"access_token"`
		R *string `json:"refresh_token"`
	}{&tok.AccessToken, &tok.RefreshToken})
	return tok.AccessToken, tok.RefreshToken
}

func publicDocuments(t *testing.T, e *env) {
	// The served document is the embedded one.
	r := e.c.do(t, req{method: "GET", path: "/v1/openapi.json"})
	want(t, "openapi", r, http.StatusOK)
	var served, embedded any
	r.decode(t, &served)
	_ = json.Unmarshal(docs.OpenAPI, &embedded)
	if !jsonEqual(served, embedded) {
		t.Error("GET /v1/openapi.json is not docs/openapi.json")
	}

	r = e.c.do(t, req{method: "GET", path: "/.well-known/jwks.json"})
	want(t, "jwks", r, http.StatusOK)
	if got := r.header.Get("Cache-Control"); got != "public, max-age=300" {
		t.Errorf("jwks Cache-Control = %q", got)
	}
}

func signIn(t *testing.T, e *env) {
	var refresh string
	e.adminA, refresh = login(t, e.c, e.a.AdminEmail, e.a.AdminPassword)
	e.adminB, _ = login(t, e.c, e.b.AdminEmail, e.b.AdminPassword)

	r := e.c.do(t, req{method: "POST", path: "/v1/auth/login",
		body: map[string]string{"email": e.a.AdminEmail, "password": "wrong password"}})
	want(t, "wrong password", r, http.StatusUnauthorized)

	// Refresh rotates; logout ends the family, so the new refresh token is useless.
	r = e.c.do(t, req{method: "POST", path: "/v1/auth/refresh",
		body: map[string]string{"refresh_token": refresh}})
	want(t, "refresh", r, http.StatusOK)
	var next struct {
		RefreshToken string `json:"refresh_token"`
	}
	r.decode(t, &next)
	r = e.c.do(t, req{method: "POST", path: "/v1/auth/logout",
		body: map[string]string{"refresh_token": next.RefreshToken}})
	want(t, "logout", r, http.StatusNoContent)
	r = e.c.do(t, req{method: "POST", path: "/v1/auth/refresh",
		body: map[string]string{"refresh_token": next.RefreshToken}})
	want(t, "refresh after logout", r, http.StatusUnauthorized)
}

func usersAndRoles(t *testing.T, e *env) {
	passwords := map[string]string{}
	for _, u := range []struct{ email, role string }{
		{"manager@a.example", "campaign_manager"}, {"analyst@a.example", "analyst"},
	} {
		// A tenant_id in the body is ignored: the user lands in the caller's tenant.
		r := e.c.do(t, req{method: "POST", path: "/v1/users", token: e.adminA,
			body: map[string]string{"email": u.email, "role": u.role, "tenant_id": e.b.TenantID}})
		want(t, "create "+u.role, r, http.StatusCreated)
		var created struct {
			ID              string `json:"id"`
			InitialPassword string `json:"initial_password"`
		}
		r.decode(t, &created)
		if r.header.Get("Location") != "/v1/users/"+created.ID {
			t.Errorf("Location = %q", r.header.Get("Location"))
		}
		passwords[u.email] = created.InitialPassword
		if u.role == "analyst" {
			e.userA = created.ID
		}
	}
	e.managerA, _ = login(t, e.c, "manager@a.example", passwords["manager@a.example"])
	e.analystA, _ = login(t, e.c, "analyst@a.example", passwords["analyst@a.example"])

	r := e.c.do(t, req{method: "GET", path: "/v1/users", token: e.adminA})
	want(t, "list users", r, http.StatusOK)
	var list struct {
		Users []struct{ Email string } `json:"users"`
	}
	r.decode(t, &list)
	if len(list.Users) != 3 {
		t.Errorf("tenant A has %d users, want 3: %s", len(list.Users), r.body)
	}
	r = e.c.do(t, req{method: "GET", path: "/v1/users/" + e.userA, token: e.adminA})
	want(t, "get user", r, http.StatusOK)

	// Users are an admin's business.
	r = e.c.do(t, req{method: "GET", path: "/v1/users", token: e.managerA})
	want(t, "manager lists users", r, http.StatusForbidden)
}

// jsonEqual compares two decoded JSON values.
func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// parallel runs fns at once and waits for all.
func parallel(fns ...func()) {
	var wg sync.WaitGroup
	for _, fn := range fns {
		wg.Go(fn)
	}
	wg.Wait()
}

// containsID reports whether a list answer's items hold a campaign with id.
func containsID(t *testing.T, r reply, id string) bool {
	t.Helper()
	var list struct {
		Items []struct{ ID string } `json:"items"`
	}
	r.decode(t, &list)
	for _, it := range list.Items {
		if it.ID == id {
			return true
		}
	}
	return false
}

// trimQuotes is used for readability of ETags in messages.
func trimQuotes(s string) string { return strings.Trim(s, `"`) }
