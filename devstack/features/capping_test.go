package features_test

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// decision is one answer of POST /v1/decisions/frequency.
type decision struct {
	CampaignID string `json:"campaign_id"`
	Allowed    bool   `json:"allowed"`
	Reason     string `json:"reason"`
	BindingCap *struct {
		Scope  string `json:"scope"`
		Window string `json:"window"`
		Count  int    `json:"count"`
	} `json:"binding_cap"`
	Remaining *int `json:"remaining"`
}

// cappingDecisions sets a cap of 2 a day on a campaign through the caps API, sends one
// person's impressions through ingest, and asks the decision API with the ingest key
// after each has settled: allowed, allowed, then refused with the day cap binding.
func cappingDecisions(t *testing.T, e *env) {
	ctx := context.Background()
	creds, err := e.s.CreateAccount(ctx, "Capping", "admin@capping.example")
	if err != nil {
		t.Fatal(err)
	}
	token := e.c.login(t, creds.AdminEmail, creds.AdminPassword)
	cmp := e.c.createCampaign(t, token, "Capped", "EUR")
	e.c.do(t, "PUT", "/v1/campaigns/"+cmp+"/caps",
		map[string]any{"caps": []map[string]any{{"count": 2, "window": "day"}}},
		bearer(token)...).want(t, "put caps", http.StatusOK)

	decide := func(what string) decision {
		t.Helper()
		var out struct{ Decisions []decision }
		e.c.do(t, "POST", "/v1/decisions/frequency", map[string]any{
			"identifiers": map[string]string{"user_id": "u-" + cmp},
			"candidates":  []map[string]string{{"campaign_id": cmp, "ad_id": "ad-1"}},
		}, "x-api-key", creds.APIKey).want(t, what, http.StatusOK).decode(t, &out)
		if len(out.Decisions) != 1 {
			t.Fatalf("%s: %d decisions", what, len(out.Decisions))
		}
		return out.Decisions[0]
	}
	if d := decide("before any impression"); !d.Allowed {
		t.Fatalf("before any impression: %+v", d)
	}
	for n := 1; n <= 2; n++ {
		sendImpression(t, e, creds.APIKey, cmp)
		if err := e.s.WaitSettled(ctx, time.Second); err != nil {
			t.Fatal(err)
		}
		d := decide("after impression")
		if n == 1 && (!d.Allowed || d.Remaining == nil || *d.Remaining != 1) {
			t.Fatalf("after 1 impression (its batch delivered twice): %+v, want allowed, 1 left", d)
		}
		if n == 2 {
			if d.Allowed || d.Reason != "capped" || d.BindingCap == nil ||
				d.BindingCap.Scope != "campaign" || d.BindingCap.Window != "day" ||
				d.BindingCap.Count != 2 {
				t.Fatalf("after 2 impressions: %+v, want refused by the day cap of 2", d)
			}
		}
	}
	// Without the key the decision API answers 401, like ingest.
	e.c.breaking().do(t, "POST", "/v1/decisions/frequency", map[string]any{
		"identifiers": map[string]string{"user_id": "u"},
		"candidates":  []map[string]string{{"campaign_id": cmp}},
	}).want(t, "no key", http.StatusUnauthorized)
}
