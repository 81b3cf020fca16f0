package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/cursor"
	"github.com/adpulse/adpulse/shared/kumotest"
	"github.com/adpulse/adpulse/shared/principal"
)

// The callers of the tests: tenant A's admin, manager and analyst, and tenant B's
// manager.
var (
	adminA   = principal.Principal{TenantID: "t_a", UserID: "u_admin_a", Role: principal.Admin}
	managerA = principal.Principal{TenantID: "t_a", UserID: "u_mgr_a",
		Role: principal.CampaignManager}
	analystA = principal.Principal{TenantID: "t_a", UserID: "u_ana_a", Role: principal.Analyst}
	managerB = principal.Principal{TenantID: "t_b", UserID: "u_mgr_b",
		Role: principal.CampaignManager}
)

const body1 = `{"name": "Spring sale", "brand_id": "brand_1",
	"objectives": ["sales"], "channels": ["display", "video"],
	"budget": {"total_micros": 5000000000, "daily_cap_micros": 250000000, "currency": "EUR"},
	"schedule": {"start": "2026-03-01T00:00:00Z", "end": "2026-03-31T00:00:00Z",
		"timezone": "Europe/Paris"},
	"targeting": {"geo": ["FR"], "devices": ["mobile"]}}`

func newTestHandler(t *testing.T) *Handler {
	t.Helper()
	db := dynamodb.NewFromConfig(kumotest.Start(t))
	if _, err := db.CreateTable(context.Background(),
		campaign.TableInput("Campaigns")); err != nil {
		t.Fatalf("create table: %v", err)
	}
	signer, err := cursor.NewSigner([]byte(strings.Repeat("s", 32)))
	if err != nil {
		t.Fatal(err)
	}
	return &Handler{Store: campaign.NewStore(db, "Campaigns"), Cursors: signer,
		Origins: []string{"https://app.example"},
		Log:     slog.New(slog.NewJSONHandler(io.Discard, nil))}
}

// principalT is a caller.
type principalT = principal.Principal

// eventsResp is a proxy answer.
type eventsResp = events.APIGatewayProxyResponse

// request is one call in a test.
type request struct {
	who     principal.Principal
	method  string
	path    string // e.g. /v1/campaigns/cmp_x/status
	body    string
	headers map[string]string
	query   map[string]string
	// multiQuery is the query with every value of each parameter; when it is nil, do
	// makes it from query, as API Gateway always sends both.
	multiQuery map[string][]string
	base64     bool // body is base64-encoded, as API Gateway passes binary bodies
}

// do sends a request through Handle the way API Gateway would.
func do(t *testing.T, h *Handler, r request) events.APIGatewayProxyResponse {
	t.Helper()
	req := events.APIGatewayProxyRequest{HTTPMethod: r.method, Path: r.path, Body: r.body,
		Headers: r.headers, QueryStringParameters: r.query, IsBase64Encoded: r.base64}
	req.MultiValueQueryStringParameters = r.multiQuery
	if r.multiQuery == nil && r.query != nil {
		req.MultiValueQueryStringParameters = map[string][]string{}
		for k, v := range r.query {
			req.MultiValueQueryStringParameters[k] = []string{v}
		}
	}
	if r.multiQuery != nil && r.query == nil {
		req.QueryStringParameters = map[string]string{}
		for k, vs := range r.multiQuery {
			req.QueryStringParameters[k] = vs[len(vs)-1]
		}
	}
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
	if len(parts) < 3 {
		return path, nil
	}
	id := parts[2]
	parts[2] = "{id}"
	return "/" + strings.Join(parts, "/"), map[string]string{"id": id}
}

// decode reads a JSON answer body.
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
		Allowed []string `json:"allowed"`
	} `json:"error"`
	RequestID string `json:"request_id"`
}

// create makes a campaign as who and returns it and its ETag.
func create(t *testing.T, h *Handler, who principal.Principal,
	body string) (campaign.Campaign, string) {
	t.Helper()
	out := do(t, h, request{who: who, method: "POST", path: "/v1/campaigns", body: body})
	if out.StatusCode != 201 {
		t.Fatalf("create: got %d %s, want 201", out.StatusCode, out.Body)
	}
	return decode[campaign.Campaign](t, out), out.Headers["ETag"]
}

func wantStatus(t *testing.T, what string, out events.APIGatewayProxyResponse, want int) {
	t.Helper()
	if out.StatusCode != want {
		t.Errorf("%s: got %d %s, want %d", what, out.StatusCode, out.Body, want)
	}
}
