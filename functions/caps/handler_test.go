package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/capping"
	"github.com/adpulse/adpulse/shared/kumotest"
	"github.com/adpulse/adpulse/shared/principal"
)

var (
	managerA = principal.Principal{TenantID: "t_a", UserID: "u1", Role: principal.CampaignManager}
	analystA = principal.Principal{TenantID: "t_a", UserID: "u2", Role: principal.Analyst}
	managerB = principal.Principal{TenantID: "t_b", UserID: "u3", Role: principal.CampaignManager}
)

func setup(t *testing.T) (*Handler, string) {
	t.Helper()
	ctx := context.Background()
	db := dynamodb.NewFromConfig(kumotest.Start(t))
	for _, in := range []*dynamodb.CreateTableInput{capping.TableInput("Capping"),
		campaign.TableInput("Campaigns")} {
		if _, err := db.CreateTable(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	cs := campaign.NewStore(db, "Campaigns")
	c := campaign.New("t_a", "u1", campaign.Spec{Name: "Spring", BrandID: "b",
		Objectives: []campaign.Objective{campaign.Sales},
		Channels:   []campaign.Channel{campaign.Display},
		Budget:     &campaign.Budget{TotalMicros: 5e9, Currency: "EUR"},
		Schedule:   &campaign.Schedule{Start: "2026-03-01T00:00:00Z", Timezone: "Europe/Paris"}},
		time.Now())
	if err := cs.Create(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	return &Handler{Caps: capping.NewDynamo(db, "Capping"), Campaigns: cs,
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}, c.ID
}

func call(t *testing.T, h *Handler, who principal.Principal, method, resource string,
	params map[string]string, body string) (int, map[string]any) {
	t.Helper()
	req := events.APIGatewayProxyRequest{Resource: resource, HTTPMethod: method,
		PathParameters: params, Body: body}
	req.RequestContext.Authorizer = who.Context()
	out, err := h.Handle(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal([]byte(out.Body), &m)
	return out.StatusCode, m
}

func TestCapsRoutes(t *testing.T) {
	h, id := setup(t)
	cmp := map[string]string{"id": id}
	ad := map[string]string{"id": id, "ad": "ad-7"}
	cases := []struct {
		name     string
		who      principal.Principal
		method   string
		resource string
		params   map[string]string
		body     string
		status   int
		check    func(map[string]any) bool
	}{
		{"unset caps read as none", analystA, "GET", campaignCaps, cmp, "", 200,
			func(m map[string]any) bool {
				return len(m["caps"].([]any)) == 0 && m["no_identifier"] == "uncapped_only"
			}},
		{"manager sets campaign caps", managerA, "PUT", campaignCaps, cmp,
			`{"caps": [{"count": 3, "window": "day"}, {"count": 10, "window": "week"}],
			  "no_identifier": "allow"}`, 200, nil},
		{"read back", analystA, "GET", campaignCaps, cmp, "", 200,
			func(m map[string]any) bool {
				return len(m["caps"].([]any)) == 2 && m["no_identifier"] == "allow"
			}},
		{"ad caps", managerA, "PUT", adCaps, ad,
			`{"caps": [{"count": 1, "window": "hour"}]}`, 200, nil},
		{"ad caps read back", analystA, "GET", adCaps, ad, "", 200,
			func(m map[string]any) bool { return len(m["caps"].([]any)) == 1 }},
		{"analyst may not write", analystA, "PUT", campaignCaps, cmp, `{"caps": []}`, 403, nil},
		{"other tenant sees nothing", managerB, "GET", campaignCaps, cmp, "", 404, nil},
		{"other tenant cannot write", managerB, "PUT", adCaps, ad, `{"caps": []}`, 404, nil},
		{"invalid caps", managerA, "PUT", campaignCaps, cmp,
			`{"caps": [{"count": 0, "window": "year"}]}`, 400,
			func(m map[string]any) bool {
				return len(m["error"].(map[string]any)["fields"].([]any)) == 2
			}},
		{"unknown field", managerA, "PUT", campaignCaps, cmp, `{"caps": [], "x": 1}`, 400, nil},
		{"bad ad id", managerA, "PUT", adCaps, map[string]string{"id": id, "ad": "a#b"},
			`{"caps": []}`, 400, nil},
		{"DELETE not allowed", managerA, "DELETE", campaignCaps, cmp, "", 405, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, m := call(t, h, tc.who, tc.method, tc.resource, tc.params, tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, m)
			}
			if tc.check != nil && !tc.check(m) {
				t.Errorf("body %v", m)
			}
		})
	}

	// What the API stored is what the decision reads.
	cfg, err := (&capping.Configs{Caps: h.Caps, Timezone: capping.CampaignTimezone(h.Campaigns),
		TTL: time.Second, Now: time.Now}).Config(context.Background(), "t_a", id)
	if err != nil || len(cfg.Caps) != 2 || len(cfg.AdCaps["ad-7"]) != 1 ||
		cfg.Location.String() != "Europe/Paris" || cfg.Longest != capping.Week {
		t.Errorf("config %+v, %v", cfg, err)
	}
}
