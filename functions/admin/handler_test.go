package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/shared/accounts"
	"github.com/adpulse/adpulse/shared/accounts/accountstest"
	"github.com/adpulse/adpulse/shared/apikey"
	"github.com/adpulse/adpulse/shared/password"
	"github.com/adpulse/adpulse/shared/principal"
)

type fixture struct {
	h    *Handler
	a, b accounts.Credentials
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	env := accountstest.Start(t)
	h := &Handler{
		Accounts: accounts.NewStore(env.Dynamo, accountstest.AccountsTable),
		Keys:     apikey.NewAdmin(env.Dynamo, accountstest.APIKeysTable),
		Hash:     password.Fast,
	}
	d := accounts.Deps{Accounts: h.Accounts, Keys: h.Keys.Store, Hash: password.Fast}
	a, err := accounts.CreateTenant(context.Background(), d, "A", "admin@a.example")
	if err != nil {
		t.Fatalf("tenant a: %v", err)
	}
	b, err := accounts.CreateTenant(context.Background(), d, "B", "admin@b.example")
	if err != nil {
		t.Fatalf("tenant b: %v", err)
	}
	return fixture{h: h, a: a, b: b}
}

func admin(c accounts.Credentials) principal.Principal {
	return principal.Principal{TenantID: c.TenantID, UserID: c.AdminUserID,
		Role: principal.Admin, Email: c.AdminEmail}
}

// call sends a request as p and decodes the answer.
func (f fixture) call(t *testing.T, p principal.Principal, method, path string,
	body any) (int, map[string]any) {
	t.Helper()
	var raw, ctype string
	if body != nil {
		data, _ := json.Marshal(body)
		raw, ctype = string(data), "application/json"
	}
	return f.send(t, p, method, path, ctype, raw)
}

// send sends a request with a raw body as p and decodes the answer; ctype "" sends no
// Content-Type.
func (f fixture) send(t *testing.T, p principal.Principal, method, path, ctype,
	body string) (int, map[string]any) {
	t.Helper()
	req := events.APIGatewayProxyRequest{HTTPMethod: method, Path: path, Body: body}
	if ctype != "" {
		req.Headers = map[string]string{"Content-Type": ctype}
	}
	req.RequestContext.Authorizer = p.Context()
	req.RequestContext.RequestID = "req-test"
	resp, err := f.h.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	var out map[string]any
	_ = json.Unmarshal([]byte(resp.Body), &out)
	return resp.StatusCode, out
}

func TestOnlyAdminsManageUsersAndKeys(t *testing.T) {
	f := newFixture(t)
	routes := []struct{ method, path string }{
		{"POST", "/v1/users"}, {"GET", "/v1/users"}, {"GET", "/v1/users/" + f.a.AdminUserID},
		{"PATCH", "/v1/users/" + f.a.AdminUserID}, {"POST", "/v1/api-keys"},
		{"GET", "/v1/api-keys"}, {"DELETE", "/v1/api-keys/" + f.a.APIKeyID},
	}
	for _, role := range []principal.Role{principal.CampaignManager, principal.Analyst} {
		p := principal.Principal{TenantID: f.a.TenantID, UserID: "u_x", Role: role}
		for _, rt := range routes {
			t.Run(string(role)+" "+rt.method+" "+rt.path, func(t *testing.T) {
				status, body := f.call(t, p, rt.method, rt.path,
					map[string]any{"label": "x", "email": "x@a.example", "role": "admin"})
				errBody, _ := body["error"].(map[string]any)
				msg, _ := errBody["message"].(string)
				if status != http.StatusForbidden || msg == "" {
					t.Errorf("got %d %v, want 403 with a reason", status, body)
				}
			})
		}
	}
	// The refused calls changed nothing.
	if _, err := f.h.Keys.Lookup(context.Background(), f.a.APIKey); err != nil {
		t.Errorf("a refused DELETE revoked the key: %v", err)
	}
}

func TestUserLifecycle(t *testing.T) {
	f := newFixture(t)
	pa := admin(f.a)
	status, body := f.call(t, pa, "POST", "/v1/users", map[string]any{
		"email": "Ana@A.example", "role": "analyst", "tenant_id": f.b.TenantID})
	if status != http.StatusCreated || body["initial_password"] == "" ||
		body["email"] != "ana@a.example" || body["password_hash"] != nil {
		t.Fatalf("create: %d %v", status, body)
	}
	id := body["id"].(string)

	// The tenant_id in the body was ignored: the user is A's, not B's.
	if u, err := f.h.Accounts.GetUser(context.Background(), f.a.TenantID, id); err != nil ||
		u.TenantID != f.a.TenantID {
		t.Errorf("user in A: %+v %v", u, err)
	}
	if status, _ := f.call(t, admin(f.b), "GET", "/v1/users/"+id, nil); status != 404 {
		t.Errorf("B reads A's new user: got %d, want 404", status)
	}

	steps := []struct {
		name   string
		method string
		path   string
		body   any
		status int
	}{
		{"duplicate email", "POST", "/v1/users", map[string]any{"email": "ana@a.example",
			"role": "analyst"}, 409},
		{"bad role", "POST", "/v1/users", map[string]any{"email": "z@a.example",
			"role": "root"}, 400},
		{"list", "GET", "/v1/users", nil, 200},
		{"read", "GET", "/v1/users/" + id, nil, 200},
		{"promote", "PATCH", "/v1/users/" + id, map[string]any{"role": "campaign_manager"},
			200},
		{"empty patch", "PATCH", "/v1/users/" + id, map[string]any{}, 400},
		{"disable", "PATCH", "/v1/users/" + id, map[string]any{"disabled": true}, 200},
		{"demote self", "PATCH", "/v1/users/" + f.a.AdminUserID,
			map[string]any{"role": "analyst"}, 409},
		{"disable self", "PATCH", "/v1/users/" + f.a.AdminUserID,
			map[string]any{"disabled": true}, 409},
		{"unknown id", "GET", "/v1/users/u_nope", nil, 404},
		{"bad method", "DELETE", "/v1/users/" + id, nil, 405},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if status, body := f.call(t, pa, s.method, s.path, s.body); status != s.status {
				t.Errorf("got %d %v, want %d", status, body, s.status)
			}
		})
	}
	_, body = f.call(t, pa, "GET", "/v1/users", nil)
	if users, _ := body["users"].([]any); len(users) != 2 {
		t.Errorf("list: got %v, want the admin and the new user", body)
	}
	u, _ := f.h.Accounts.GetUser(context.Background(), f.a.TenantID, id)
	if !u.Disabled || u.Role != principal.CampaignManager {
		t.Errorf("after patches: %+v", u)
	}
}

func TestDisablingRevokesSessions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, body := f.call(t, admin(f.a), "POST", "/v1/users",
		map[string]any{"email": "bo@a.example", "role": "analyst"})
	id := body["id"].(string)
	fam := accounts.Family{ID: "f_1", TenantID: f.a.TenantID, UserID: id, ExpiresAt: 1 << 40}
	tok := accounts.Refresh{Hash: "h_1", FamilyID: "f_1", TenantID: f.a.TenantID, UserID: id,
		ExpiresAt: 1 << 40}
	if err := f.h.Accounts.StartFamily(ctx, fam, tok); err != nil {
		t.Fatalf("start family: %v", err)
	}
	if status, _ := f.call(t, admin(f.a), "PATCH", "/v1/users/"+id,
		map[string]any{"disabled": true}); status != 200 {
		t.Fatalf("disable: %d", status)
	}
	got, err := f.h.Accounts.GetFamily(ctx, f.a.TenantID, id, "f_1")
	if err != nil || !got.Revoked {
		t.Errorf("family after disabling: %+v %v, want revoked", got, err)
	}
}

func TestKeyLifecycle(t *testing.T) {
	f := newFixture(t)
	pa := admin(f.a)
	status, body := f.call(t, pa, "POST", "/v1/api-keys", map[string]any{"label": "site",
		"tenant_id": f.b.TenantID})
	key, _ := body["key"].(string)
	if status != http.StatusCreated || key == "" || body["hint"] == "" || body["id"] == "" {
		t.Fatalf("create: %d %v", status, body)
	}
	id := body["id"].(string)
	if k, err := f.h.Keys.Lookup(context.Background(), key); err != nil ||
		k.TenantID != f.a.TenantID {
		t.Errorf("the new key belongs to %+v (%v), want tenant A", k, err)
	}

	_, body = f.call(t, pa, "GET", "/v1/api-keys", nil)
	list, _ := body["api_keys"].([]any)
	if len(list) != 2 {
		t.Fatalf("list: got %v, want the ingest key and the new one", body)
	}
	for _, item := range list {
		if _, shown := item.(map[string]any)["key"]; shown {
			t.Errorf("the list shows a key: %v", item)
		}
	}

	if status, _ := f.call(t, pa, "DELETE", "/v1/api-keys/"+id, nil); status != 204 {
		t.Errorf("revoke: got %d, want 204", status)
	}
	if _, err := f.h.Keys.Lookup(context.Background(), key); !errors.Is(err,
		apikey.ErrUnknownKey) {
		t.Errorf("lookup after revoke: got %v, want ErrUnknownKey", err)
	}
	if status, _ := f.call(t, pa, "POST", "/v1/api-keys", map[string]any{}); status != 400 {
		t.Errorf("no label: got %d, want 400", status)
	}
}

func TestTenantIsolation(t *testing.T) {
	f := newFixture(t)
	pb := admin(f.b)
	tests := []struct {
		name   string
		method string
		path   string
		body   any
	}{
		{"read A's admin", "GET", "/v1/users/" + f.a.AdminUserID, nil},
		{"disable A's admin", "PATCH", "/v1/users/" + f.a.AdminUserID,
			map[string]any{"disabled": true}},
		{"demote A's admin", "PATCH", "/v1/users/" + f.a.AdminUserID,
			map[string]any{"role": "analyst"}},
		{"revoke A's key", "DELETE", "/v1/api-keys/" + f.a.APIKeyID, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if status, body := f.call(t, pb, tc.method, tc.path, tc.body); status != 404 {
				t.Errorf("got %d %v, want 404", status, body)
			}
		})
	}

	// B's lists show only B's things.
	_, body := f.call(t, pb, "GET", "/v1/users", nil)
	users, _ := body["users"].([]any)
	if len(users) != 1 || users[0].(map[string]any)["id"] != f.b.AdminUserID {
		t.Errorf("B's users: %v", body)
	}
	_, body = f.call(t, pb, "GET", "/v1/api-keys", nil)
	keys, _ := body["api_keys"].([]any)
	if len(keys) != 1 || keys[0].(map[string]any)["id"] != f.b.APIKeyID {
		t.Errorf("B's keys: %v", body)
	}

	// A's things are untouched.
	u, err := f.h.Accounts.GetUser(context.Background(), f.a.TenantID, f.a.AdminUserID)
	if err != nil || u.Disabled || u.Role != principal.Admin {
		t.Errorf("A's admin after B's attempts: %+v %v", u, err)
	}
	if _, err := f.h.Keys.Lookup(context.Background(), f.a.APIKey); err != nil {
		t.Errorf("A's key after B's attempt: %v", err)
	}
}

func TestNoPrincipalIsAServerError(t *testing.T) {
	f := newFixture(t)
	resp, err := f.h.Handle(context.Background(), events.APIGatewayProxyRequest{
		HTTPMethod: "GET", Path: "/v1/users"})
	if err != nil || resp.StatusCode != 500 {
		t.Errorf("got %d %v, want 500", resp.StatusCode, err)
	}
}
