package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/adpulse/adpulse/shared/apikey"
	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/capping"
	"github.com/adpulse/adpulse/shared/kumotest"
)

// env is the decide function on kumo with one tenant, its key and one capped campaign
// in America/Los_Angeles.
type env struct {
	h        *Handler
	key      string
	campaign string
	counter  *capping.Counter
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	db := dynamodb.NewFromConfig(kumotest.Start(t))
	for _, in := range []*dynamodb.CreateTableInput{capping.TableInput("Capping"),
		campaign.TableInput("Campaigns"), {
			TableName: aws.String("ApiKeys"), BillingMode: types.BillingModePayPerRequest,
			AttributeDefinitions: []types.AttributeDefinition{{
				AttributeName: aws.String("key_hash"), AttributeType: types.ScalarAttributeTypeS}},
			KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("key_hash"),
				KeyType: types.KeyTypeHash}}}} {
		if _, err := db.CreateTable(ctx, in); err != nil {
			t.Fatalf("create table: %v", err)
		}
	}
	_, key, err := apikey.NewStore(db, "ApiKeys").CreateKey(ctx, "t_a", "ad server")
	if err != nil {
		t.Fatal(err)
	}
	c := campaign.New("t_a", "u", campaign.Spec{Name: "Spring", BrandID: "b",
		Objectives: []campaign.Objective{campaign.Sales},
		Channels:   []campaign.Channel{campaign.Display},
		Budget:     &campaign.Budget{TotalMicros: 5e9, Currency: "USD"},
		Schedule: &campaign.Schedule{Start: "2026-03-01T00:00:00Z",
			Timezone: "America/Los_Angeles"}}, time.Now())
	if err := campaign.NewStore(db, "Campaigns").Create(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	store := capping.NewDynamo(db, "Capping")
	if err := store.PutCampaignCaps(ctx, "t_a", c.ID, capping.CampaignCaps{
		Caps: []capping.Cap{{Count: 1, Window: capping.Day}}}); err != nil {
		t.Fatal(err)
	}

	h := newHandlerOn(db, "Capping", "Campaigns", "ApiKeys")
	h.Log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	return &env{h: h, key: key, campaign: c.ID,
		counter: &capping.Counter{Store: store, Configs: h.Decider.Configs}}
}

func (e *env) post(t *testing.T, key, body string) (int, map[string]any) {
	t.Helper()
	out, err := e.h.Handle(context.Background(), events.APIGatewayProxyRequest{
		Resource: "/v1/decisions/frequency", Path: "/v1/decisions/frequency",
		HTTPMethod: http.MethodPost, Headers: map[string]string{"X-Api-Key": key},
		Body: body})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out.Body), &m); err != nil {
		t.Fatalf("body %q: %v", out.Body, err)
	}
	return out.StatusCode, m
}

func TestDecision(t *testing.T) {
	e := newEnv(t)
	shown := time.Date(2026, 3, 8, 9, 30, 0, 0, time.UTC) // 01:30 PST, DST starts at 02:00
	if _, err := e.counter.Count(context.Background(), []capping.Impression{{
		TenantID: "t_a", EventID: "e1", Owner: "s/1/0",
		Identifiers: capping.Identifiers{DeviceID: "d1"}, CampaignID: e.campaign,
		AdID: "ad1", OccurredAt: shown}}); err != nil {
		t.Fatal(err)
	}
	body := `{"identifiers": {"device_id": "d1"}, "at": "2026-03-09T06:59:00Z",
		"candidates": [{"campaign_id": "` + e.campaign + `", "ad_id": "ad1"},
		{"campaign_id": "uncapped", "ad_id": "x"}]}`
	status, m := e.post(t, e.key, body)
	if status != http.StatusOK {
		t.Fatalf("status %d: %v", status, m)
	}
	ds := m["decisions"].([]any)
	capped, free := ds[0].(map[string]any), ds[1].(map[string]any)
	if capped["allowed"] != false || capped["resets_at"] != "2026-03-09T07:00:00Z" ||
		capped["remaining"] != 0.0 {
		t.Errorf("capped candidate: %v, want refused until local midnight 07:00Z", capped)
	}
	if binding := capped["binding_cap"].(map[string]any); binding["window"] != "day" ||
		binding["count"] != 1.0 {
		t.Errorf("binding cap %v, want 1 per day", binding)
	}
	if free["allowed"] != true || free["binding_cap"] != nil {
		t.Errorf("uncapped candidate: %v", free)
	}
}

func TestRefusals(t *testing.T) {
	e := newEnv(t)
	cand := `"candidates": [{"campaign_id": "c1", "ad_id": "a"}]`
	cases := []struct {
		name, key, body string
		status          int
		code            string
	}{
		{"no key", "", `{` + cand + `}`, http.StatusUnauthorized, "unauthorized"},
		{"unknown key", "nope", `{` + cand + `}`, http.StatusUnauthorized, "unauthorized"},
		{"not JSON", e.key, `[`, http.StatusBadRequest, "bad_json"},
		{"unknown field", e.key, `{"who": 1, ` + cand + `}`, http.StatusBadRequest, "bad_json"},
		{"no candidates", e.key, `{"candidates": []}`, http.StatusBadRequest,
			"validation_failed"},
		{"bad campaign id", e.key, `{"candidates": [{"campaign_id": "a#b"}]}`,
			http.StatusBadRequest, "validation_failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, m := e.post(t, tc.key, tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, m)
			}
			if code := m["error"].(map[string]any)["code"]; code != tc.code {
				t.Errorf("code %v, want %s", code, tc.code)
			}
		})
	}
}

// TestRepeatedAPIKey: a request with more than one x-api-key value is refused with 401,
// whichever value is good and whichever map of the event holds them.
func TestRepeatedAPIKey(t *testing.T) {
	e := newEnv(t)
	body := `{"identifiers": {"device_id": "d1"},
		"candidates": [{"campaign_id": "c1", "ad_id": "a"}]}`
	cases := []struct {
		name   string
		single map[string]string
		multi  map[string][]string
		status int
	}{
		{"good then bad", map[string]string{"X-Api-Key": "nope"},
			map[string][]string{"X-Api-Key": {e.key, "nope"}}, http.StatusUnauthorized},
		{"bad then good", map[string]string{"X-Api-Key": e.key},
			map[string][]string{"X-Api-Key": {"nope", e.key}}, http.StatusUnauthorized},
		{"two spellings", map[string]string{"x-api-key": e.key, "X-API-KEY": e.key}, nil,
			http.StatusUnauthorized},
		{"one key in both maps", map[string]string{"x-api-key": e.key},
			map[string][]string{"X-Api-Key": {e.key}}, http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := e.h.Handle(context.Background(), events.APIGatewayProxyRequest{
				Resource: "/v1/decisions/frequency", Path: "/v1/decisions/frequency",
				HTTPMethod: http.MethodPost, Headers: tc.single,
				MultiValueHeaders: tc.multi, Body: body})
			if err != nil {
				t.Fatal(err)
			}
			if out.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", out.StatusCode, tc.status, out.Body)
			}
			if tc.status == http.StatusUnauthorized &&
				!strings.Contains(out.Body, "more than one x-api-key header") {
				t.Errorf("body %s, want: more than one x-api-key header", out.Body)
			}
		})
	}
}
