package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"

	"github.com/adpulse/adpulse/shared/accounts"
	"github.com/adpulse/adpulse/shared/accounts/accountstest"
	"github.com/adpulse/adpulse/shared/usageplan"
)

// fakeGatewayServer answers the three API Gateway calls of usageplan.Plan.Attach over
// HTTP, as the service does, so the SDK's own requests are what it checks.
type fakeGatewayServer struct {
	mu       sync.Mutex
	keys     map[string]string // name → value
	attached map[string]string // key id → plan id
	fail     bool              // answer every call with a 500
}

func (f *fakeGatewayServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case f.fail:
		w.Header().Set("X-Amzn-Errortype", "ServiceUnavailableException")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"message":"try later"}`))
	case r.Method == "GET" && r.URL.Path == "/apikeys":
		items := []map[string]string{}
		for name := range f.keys {
			if strings.HasPrefix(name, r.URL.Query().Get("name")) {
				items = append(items, map[string]string{"id": "id-" + name, "name": name})
			}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"item": items})
	case r.Method == "POST" && r.URL.Path == "/apikeys":
		var in struct{ Name, Value string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		f.keys[in.Name] = in.Value
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]string{"id": "id-" + in.Name})
	case r.Method == "POST" && strings.HasPrefix(r.URL.Path, "/usageplans/"):
		var in struct{ KeyID, KeyType string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		if _, ok := f.attached[in.KeyID]; ok {
			w.Header().Set("X-Amzn-Errortype", "ConflictException")
			w.WriteHeader(http.StatusConflict)
			_, _ = w.Write([]byte(`{"message":"already attached"}`))
			return
		}
		f.attached[in.KeyID] = strings.Split(r.URL.Path, "/")[2]
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]string{"id": in.KeyID, "type": in.KeyType})
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func TestTenantCreateAttachesTheUsagePlan(t *testing.T) {
	env := accountstest.Start(t)
	gw := &fakeGatewayServer{keys: map[string]string{}, attached: map[string]string{}}
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	loadConfig = func(context.Context) (aws.Config, error) { return env.Config, nil }
	newGateway = func(cfg aws.Config) usageplan.API {
		return apigateway.NewFromConfig(cfg, func(o *apigateway.Options) {
			o.BaseEndpoint = aws.String(srv.URL)
			o.RetryMaxAttempts = 1
		})
	}
	var warnings bytes.Buffer
	stderr = &warnings
	getenv := func(k string) string {
		return map[string]string{"ACCOUNTS_TABLE": accountstest.AccountsTable,
			"API_KEYS_TABLE": accountstest.APIKeysTable, "USAGE_PLAN_ID": "plan9"}[k]
	}
	ctx := context.Background()
	create := func(email string) (accounts.Credentials, error) {
		var out bytes.Buffer
		err := run(ctx, []string{"tenant", "create", "--name", "Acme", "--admin-email",
			email, "--json"}, getenv, &out)
		var creds accounts.Credentials
		if jerr := json.Unmarshal(out.Bytes(), &creds); jerr != nil {
			t.Fatalf("decode %q: %v (run: %v)", out.String(), jerr, err)
		}
		return creds, err
	}

	// WHEN a tenant is created with the plan THEN its derived key is created and attached.
	creds, err := create("acme@example.com")
	if err != nil {
		t.Fatalf("tenant create: %v", err)
	}
	name := usageplan.KeyName(creds.TenantID)
	if gw.keys[name] != usageplan.KeyValue(creds.TenantID) || gw.attached["id-"+name] != "plan9" {
		t.Errorf("keys %v attached %v; want %s attached to plan9", gw.keys, gw.attached, name)
	}
	if warnings.Len() != 0 {
		t.Errorf("warned %q for an attached tenant", warnings.String())
	}

	// WHEN the gateway fails THEN the credentials are still printed, with the fix.
	gw.fail = true
	creds2, err := create("beta@example.com")
	if err == nil || creds2.AdminPassword == "" || !strings.Contains(warnings.String(),
		"attach-plan --tenant "+creds2.TenantID) {
		t.Fatalf("failed attach: err %v, creds %+v, warning %q", err, creds2, warnings.String())
	}

	// WHEN attach-plan runs for it once the gateway is back, and again THEN it is attached
	// once and the second run is no error.
	gw.fail = false
	for range 2 {
		var out bytes.Buffer
		if err := run(ctx, []string{"tenant", "attach-plan", "--tenant", creds2.TenantID},
			getenv, &out); err != nil || !strings.Contains(out.String(), "plan9") {
			t.Fatalf("attach-plan: %q %v", out.String(), err)
		}
	}
	if gw.attached["id-"+usageplan.KeyName(creds2.TenantID)] != "plan9" || len(gw.keys) != 2 {
		t.Errorf("after attach-plan: keys %v attached %v", gw.keys, gw.attached)
	}
	if err := run(ctx, []string{"tenant", "attach-plan"}, getenv, &bytes.Buffer{}); err == nil {
		t.Error("attach-plan without --tenant: no error")
	}
}
