package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/shared/accounts"
	"github.com/adpulse/adpulse/shared/accounts/accountstest"
	"github.com/adpulse/adpulse/shared/apikey"
	"github.com/adpulse/adpulse/shared/auth"
	"github.com/adpulse/adpulse/shared/password"
	"github.com/adpulse/adpulse/shared/signin"
)

type fixture struct {
	h     *Handler
	creds accounts.Credentials
	logs  *bytes.Buffer
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	env := accountstest.Start(t)
	store := accounts.NewStore(env.Dynamo, accountstest.AccountsTable)
	creds, err := accounts.CreateTenant(context.Background(), accounts.Deps{Accounts: store,
		Keys: apikey.NewStore(env.Dynamo, accountstest.APIKeysTable), Hash: password.Fast},
		"Acme", "ana@example.com")
	if err != nil {
		t.Fatalf("create tenant: %v", err)
	}
	keys := auth.NewSecretSource(env.Secrets, accountstest.SigningSecret, time.Minute)
	logs := &bytes.Buffer{}
	h := &Handler{
		Service: &signin.Service{Store: store, Hash: password.Fast,
			Tokens:  &auth.Issuer{Keys: keys, Issuer: "iss", Audience: "aud"},
			Account: signin.AccountPolicy, Address: signin.AddressPolicy},
		Keys: keys, Log: slog.New(slog.NewJSONHandler(logs, nil)),
	}
	return fixture{h: h, creds: creds, logs: logs}
}

func (f fixture) call(t *testing.T, method, path string, body any) (
	events.APIGatewayProxyResponse, map[string]any) {
	t.Helper()
	data, _ := json.Marshal(body)
	if s, ok := body.(string); ok {
		data = []byte(s)
	}
	req := events.APIGatewayProxyRequest{HTTPMethod: method, Path: path, Body: string(data)}
	req.RequestContext.RequestID = "req-1"
	req.RequestContext.Identity.SourceIP = "10.0.0.1"
	resp, err := f.h.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	var out map[string]any
	_ = json.Unmarshal([]byte(resp.Body), &out)
	return resp, out
}

func TestSignInFlow(t *testing.T) {
	f := newFixture(t)
	login := map[string]string{"email": "ana@example.com", "password": f.creds.AdminPassword}

	resp, body := f.call(t, "POST", "/v1/auth/login", login)
	if resp.StatusCode != http.StatusOK || body["token_type"] != "Bearer" ||
		body["expires_in"].(float64) > 900 || body["refresh_token"] == "" {
		t.Fatalf("login: %d %v", resp.StatusCode, body)
	}
	first := body["refresh_token"].(string)
	access := body["access_token"].(string)

	resp, body = f.call(t, "POST", "/v1/auth/refresh", map[string]string{
		"refresh_token": first})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh: %d %v", resp.StatusCode, body)
	}
	second := body["refresh_token"].(string)

	steps := []struct {
		name   string
		path   string
		token  string
		status int
	}{
		{"reuse of the rotated token", "/v1/auth/refresh", first, 401},
		{"the family is gone", "/v1/auth/refresh", second, 401},
	}
	for _, s := range steps {
		resp, _ := f.call(t, "POST", s.path, map[string]string{"refresh_token": s.token})
		if resp.StatusCode != s.status {
			t.Errorf("%s: got %d, want %d", s.name, resp.StatusCode, s.status)
		}
	}

	// Logout makes a fresh session's refresh token useless.
	_, body = f.call(t, "POST", "/v1/auth/login", login)
	third := body["refresh_token"].(string)
	if resp, _ := f.call(t, "POST", "/v1/auth/logout", map[string]string{
		"refresh_token": third}); resp.StatusCode != http.StatusNoContent || resp.Body != "" {
		t.Errorf("logout: got %d %q, want 204 and no body", resp.StatusCode, resp.Body)
	}
	if resp, _ := f.call(t, "POST", "/v1/auth/refresh", map[string]string{
		"refresh_token": third}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("refresh after logout: got %d, want 401", resp.StatusCode)
	}

	// No secret reaches the logs.
	logs := f.logs.String()
	for name, secret := range map[string]string{"password": f.creds.AdminPassword,
		"access token": access, "refresh token": first, "email": "ana@example.com"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs contain the %s", name)
		}
	}
	if n := strings.Count(logs, "\n"); n != 7 {
		t.Errorf("got %d log lines for 7 requests, want one each", n)
	}
}

func TestLoginAnswers(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"wrong password", map[string]string{"email": "ana@example.com", "password": "x"},
			401, "invalid_credentials"},
		{"unknown email", map[string]string{"email": "who@example.com", "password": "x"},
			401, "invalid_credentials"},
		{"missing fields", map[string]string{}, 400, "validation_failed"},
		{"not json", "{", 400, "bad_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := f.call(t, "POST", "/v1/auth/login", tc.body)
			errBody, _ := body["error"].(map[string]any)
			if resp.StatusCode != tc.status || errBody["code"] != tc.code {
				t.Errorf("got %d %v, want %d %s", resp.StatusCode, body, tc.status, tc.code)
			}
			if resp.Headers["X-Request-Id"] != "req-1" ||
				resp.Headers["X-Content-Type-Options"] != "nosniff" {
				t.Errorf("headers: %v", resp.Headers)
			}
		})
	}
}

func TestLoginLockoutAnswers429(t *testing.T) {
	f := newFixture(t)
	bad := map[string]string{"email": "ana@example.com", "password": "wrong"}
	for i := 0; i < 5; i++ {
		f.call(t, "POST", "/v1/auth/login", bad)
	}
	resp, body := f.call(t, "POST", "/v1/auth/login", bad)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Headers["Retry-After"] == "" {
		t.Errorf("sixth attempt: got %d %v %v, want 429 with Retry-After", resp.StatusCode,
			resp.Headers["Retry-After"], body)
	}
}

func TestJWKSAndRoutes(t *testing.T) {
	f := newFixture(t)
	resp, body := f.call(t, "GET", "/.well-known/jwks.json", nil)
	keys, _ := body["keys"].([]any)
	if resp.StatusCode != 200 || len(keys) != 1 {
		t.Fatalf("jwks: %d %v", resp.StatusCode, body)
	}
	k := keys[0].(map[string]any)
	for field, want := range map[string]string{"kty": "EC", "crv": "P-256", "alg": "ES256",
		"use": "sig"} {
		if k[field] != want {
			t.Errorf("jwk %s: got %v, want %s", field, k[field], want)
		}
	}
	if _, ok := k["d"]; ok {
		t.Errorf("the jwks publishes the private key")
	}

	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/v1/auth/login", 405}, {"POST", "/v1/nope", 404},
	} {
		if resp, _ := f.call(t, tc.method, tc.path, nil); resp.StatusCode != tc.status {
			t.Errorf("%s %s: got %d, want %d", tc.method, tc.path, resp.StatusCode, tc.status)
		}
	}
}

func TestOpenAPIDocument(t *testing.T) {
	h := &Handler{}
	resp, err := h.Handle(context.Background(), events.APIGatewayProxyRequest{
		HTTPMethod: "GET", Path: "/v1/openapi.json"})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /v1/openapi.json = %d, %v", resp.StatusCode, err)
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &doc); err != nil || doc.OpenAPI != "3.1.0" {
		t.Errorf("body is not the OpenAPI 3.1 document: %v %.80s", err, resp.Body)
	}
}
