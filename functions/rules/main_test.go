package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/kumotest"
	"github.com/adpulse/adpulse/shared/principal"
	"github.com/adpulse/adpulse/shared/rules"
)

// The callers of the tests.
var (
	adminA   = principal.Principal{TenantID: "t_a", UserID: "u_admin_a", Role: principal.Admin}
	managerA = principal.Principal{TenantID: "t_a", UserID: "u_mgr_a",
		Role: principal.CampaignManager}
	analystA = principal.Principal{TenantID: "t_a", UserID: "u_ana_a", Role: principal.Analyst}
	managerB = principal.Principal{TenantID: "t_b", UserID: "u_mgr_b",
		Role: principal.CampaignManager}
)

// fakeResolver answers from a map; a missing name does not resolve.
type fakeResolver map[string]string

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	a, ok := f[host]
	if !ok {
		return nil, errors.New("no such host")
	}
	return []netip.Addr{netip.MustParseAddr(a)}, nil
}

// env is a handler on fresh tables with one campaign of each tenant.
type env struct {
	h          *Handler
	campaignA  string
	campaignB  string
	rulesStore *rules.Store
}

func newEnv(t *testing.T) env {
	t.Helper()
	ctx := context.Background()
	db := dynamodb.NewFromConfig(kumotest.Start(t))
	for _, in := range []*dynamodb.CreateTableInput{campaign.TableInput("Campaigns"),
		rules.TableInput("Rules")} {
		if _, err := db.CreateTable(ctx, in); err != nil {
			t.Fatalf("create table: %v", err)
		}
	}
	cs := campaign.NewStore(db, "Campaigns")
	mk := func(tenant string) string {
		c := campaign.New(tenant, "u", campaign.Spec{Name: "Spring", BrandID: "b",
			Objectives: []campaign.Objective{campaign.Sales},
			Channels:   []campaign.Channel{campaign.Display},
			Budget:     &campaign.Budget{TotalMicros: 5e9, Currency: "EUR"},
			Schedule: &campaign.Schedule{Start: "2026-03-01T00:00:00Z",
				Timezone: "Europe/Paris"}}, time.Now())
		if err := cs.Create(ctx, c, nil); err != nil {
			t.Fatalf("create campaign: %v", err)
		}
		return c.ID
	}
	rs := rules.NewStore(db, "Rules")
	h := &Handler{Rules: rs, Campaigns: cs, Origins: []string{"https://app.example"},
		Resolver: fakeResolver{"hooks.example.com": "93.184.215.14",
			"hooks.slack.com": "52.1.2.3", "meta.example": "169.254.169.254"},
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	return env{h: h, campaignA: mk("t_a"), campaignB: mk("t_b"), rulesStore: rs}
}

// request is one call in a test.
type request struct {
	who     principal.Principal
	method  string
	path    string
	body    string
	headers map[string]string
	query   map[string]string
}

// do sends a request through Handle the way API Gateway would.
func do(t *testing.T, h *Handler, r request) events.APIGatewayProxyResponse {
	t.Helper()
	req := events.APIGatewayProxyRequest{HTTPMethod: r.method, Path: r.path, Body: r.body,
		Headers: r.headers, QueryStringParameters: r.query}
	req.Resource, req.PathParameters = resourceOf(r.path)
	req.RequestContext.RequestID = "req-test"
	if r.who.TenantID != "" {
		req.RequestContext.Authorizer = r.who.Context()
	}
	if r.body != "" && req.Headers == nil {
		req.Headers = map[string]string{"Content-Type": "application/json"}
	}
	out, err := h.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	return out
}

// resourceOf turns a path into API Gateway's resource template and path parameters.
func resourceOf(path string) (string, map[string]string) {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	params := map[string]string{}
	if len(parts) >= 3 {
		params["id"], parts[2] = parts[2], "{id}"
	}
	if len(parts) >= 5 && parts[3] == "channels" {
		params["n"], parts[4] = parts[4], "{n}"
	}
	return "/" + strings.Join(parts, "/"), params
}

func decode[T any](t *testing.T, out events.APIGatewayProxyResponse) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(out.Body), &v); err != nil {
		t.Fatalf("decode %q: %v", out.Body, err)
	}
	return v
}

// problem is the error answer shape.
type problem struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Fields  []struct {
			Field  string `json:"field"`
			Reason string `json:"reason"`
		} `json:"fields"`
	} `json:"error"`
}

func (p problem) fields() []string {
	var out []string
	for _, f := range p.Error.Fields {
		out = append(out, f.Field+": "+f.Reason)
	}
	return out
}

func wantStatus(t *testing.T, what string, out events.APIGatewayProxyResponse, want int) {
	t.Helper()
	if out.StatusCode != want {
		t.Errorf("%s: got %d %s, want %d", what, out.StatusCode, out.Body, want)
	}
}

// created is the answer of a create.
type created struct {
	rules.Rule
	NewSecrets map[string]string `json:"new_secrets"`
}

func create(t *testing.T, h *Handler, who principal.Principal, body string) created {
	t.Helper()
	out := do(t, h, request{who: who, method: "POST", path: "/v1/rules", body: body})
	if out.StatusCode != 201 {
		t.Fatalf("create: got %d %s, want 201", out.StatusCode, out.Body)
	}
	c := decode[created](t, out)
	c.Rule.Version = 1
	return c
}

// ruleBody is a valid rule on a campaign with an email and a webhook channel.
func ruleBody(campaignID string) string {
	return `{"name": "Spend alert", "campaign_id": "` + campaignID + `",
		"conditions": [{"metric": "spend", "op": ">=", "threshold": 5000000},
			{"metric": "ctr", "op": "<", "threshold": 0.01, "scope": "last_minutes",
			 "minutes": 60}],
		"join": "or",
		"channels": [{"type": "email", "to": ["ops@example.com"]},
			{"type": "webhook", "url": "https://hooks.example.com/adpulse"}],
		"template": {"subject": "{{rule_name}} on {{campaign_name}}",
			"text": "Spend {{metric.spend}} ({{value.spend}} micros). {{link}}"}}`
}
