package features_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/adpulse/adpulse/devstack/scenario"
	"github.com/adpulse/adpulse/shared/totals"
)

// ipinyouSpend is the demo alert on the iPinYou campaign: lifetime spend of 5 CNY (micros).
const ipinyouSpend = 5_000_000

// ipinyouAlert replays the iPinYou sample twice, every batch delivered twice, with a
// rule "spend >= 5 CNY" on the campaign of advertiser 2821 notifying an address and the
// local webhook receiver: the rule fires exactly once, one email, one signed webhook.
func ipinyouAlert(t *testing.T, e *env) {
	dir := ipinyouDir(t)
	ctx := context.Background()
	creds, err := e.s.CreateAccount(ctx, "iPinYou", "admin@ipinyou.example")
	if err != nil {
		t.Fatal(err)
	}
	token := e.c.login(t, creds.AdminEmail, creds.AdminPassword)
	// Campaign ids are server-made (cmp_…): advertiser 2821 becomes this campaign.
	cmp := e.c.createCampaign(t, token, "iPinYou advertiser 2821", "CNY")
	const to = "ops@ipinyou.example"
	createRule(t, e, token, map[string]any{
		"name": "Spend 5 CNY", "campaign_id": cmp,
		"conditions": []map[string]any{
			{"metric": "spend", "op": ">=", "threshold": ipinyouSpend, "scope": "lifetime"}},
		"channels": []map[string]any{
			{"type": "email", "to": []string{to}},
			{"type": "webhook", "url": e.recv.URL() + "/ipinyou"}},
	})

	in, err := scenario.Load(dir, creds.TenantID, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in.Events {
		if in.Events[i].CampaignID == "2821" {
			in.Events[i].CampaignID = cmp
		}
	}
	want := totals.Counters{Impressions: 9960, Clicks: 433,
		Spend: map[string]int64{"CNY": 8734340}}
	for pass := 1; pass <= 2; pass++ { // the second pass sends the same files again
		res, err := scenario.Run(ctx, e.s, creds.TenantID, creds.APIKey, in, nil)
		if err != nil {
			t.Fatalf("pass %d: %v", pass, err)
		}
		if res.Replay.Accepted != 10442 || len(res.Campaigns) != 1 {
			t.Fatalf("pass %d: accepted %d events, %d campaigns", pass,
				res.Replay.Accepted, len(res.Campaigns))
		}
		g, _ := json.Marshal(res.Campaigns[0].Counters)
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			t.Fatalf("pass %d totals:\n got  %s\n want %s", pass, g, w)
		}
	}
	e.ipinyou = &replayed{token: token, campaign: cmp, totals: want, events: in.Events}

	// The notification: wait for the webhook, then for the queue mapping to settle, so
	// that a second one would have arrived too.
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for len(webhooksAt(e.recv, "/ipinyou")) == 0 && wctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}
	if err := e.s.WaitSettled(wctx, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	hooks := webhooksAt(e.recv, "/ipinyou")
	if len(hooks) != 1 || !hooks[0].Verified {
		t.Fatalf("webhooks: %+v, want exactly one with a valid signature", hooks)
	}
	body := decodeWebhook(t, hooks[0])
	if body.Type != "rule.fired" || body.Data.CampaignID != cmp ||
		body.Data.Values["spend"] < ipinyouSpend || body.Data.Currency != "CNY" ||
		hooks[0].ID != body.Data.ID+"_1" {
		t.Errorf("webhook %s: %s", hooks[0].ID, hooks[0].Body)
	}
	mails := emailsTo(t, e.s, to)
	if len(mails) != 1 {
		t.Fatalf("emails to %s: %+v, want exactly one", to, mails)
	}
	if !strings.Contains(mails[0].Subject, "Spend 5 CNY") || mails[0].From == "" {
		t.Errorf("email: %+v", mails[0])
	}
	t.Logf("one webhook %s (signature valid), one email %q from %s", hooks[0].ID,
		mails[0].Subject, mails[0].From)
}

// createRule creates a rule and gives the receiver the webhook secrets it got.
func createRule(t *testing.T, e *env, token string, rule map[string]any) string {
	t.Helper()
	var r struct {
		ID         string            `json:"id"`
		NewSecrets map[string]string `json:"new_secrets"`
	}
	e.c.do(t, "POST", "/v1/rules", rule, bearer(token)...).
		want(t, "create rule", http.StatusCreated).decode(t, &r)
	for _, secret := range r.NewSecrets {
		e.recv.AddSecret(secret)
	}
	return r.ID
}

// latencyCampaigns is how many notifications the latency step measures.
const latencyCampaigns = 40

// alertLatency measures, on the local stack, the time from an event's acceptance by
// the API (its 202) to the arrival of the webhook its rule fired: a tenant-wide rule
// "impressions >= 1" and one impression for each of latencyCampaigns campaigns, sent
// 50 ms apart.
func alertLatency(t *testing.T, e *env) {
	ctx := context.Background()
	creds, err := e.s.CreateAccount(ctx, "Latency", "admin@latency.example")
	if err != nil {
		t.Fatal(err)
	}
	token := e.c.login(t, creds.AdminEmail, creds.AdminPassword)
	createRule(t, e, token, map[string]any{
		"name": "First impression", "cooldown_seconds": 0,
		"conditions": []map[string]any{{"metric": "impressions", "op": ">=", "threshold": 1}},
		"channels":   []map[string]any{{"type": "webhook", "url": e.recv.URL() + "/latency"}},
	})

	accepted := map[string]time.Time{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range latencyCampaigns {
		campaign := fmt.Sprintf("lat-%02d", i)
		wg.Go(func() {
			at := sendImpression(t, e, creds.APIKey, campaign)
			mu.Lock()
			accepted[campaign] = at
			mu.Unlock()
		})
		time.Sleep(50 * time.Millisecond)
	}
	wg.Wait()

	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for len(webhooksAt(e.recv, "/latency")) < latencyCampaigns && wctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}
	hooks := webhooksAt(e.recv, "/latency")
	if len(hooks) != latencyCampaigns {
		t.Fatalf("%d webhooks, want %d", len(hooks), latencyCampaigns)
	}
	var lat []time.Duration
	for _, h := range hooks {
		b := decodeWebhook(t, h)
		acc, ok := accepted[b.Data.CampaignID]
		if !h.Verified || !ok {
			t.Fatalf("webhook %s: verified %v, campaign %q", h.ID, h.Verified, b.Data.CampaignID)
		}
		lat = append(lat, h.Received.Sub(acc))
	}
	slices.Sort(lat)
	p50, p99 := lat[len(lat)/2], lat[(len(lat)*99+99)/100-1]
	t.Logf("acceptance → webhook over %d notifications: p50 %.2f s, p99 %.2f s, max %.2f s",
		len(lat), p50.Seconds(), p99.Seconds(), lat[len(lat)-1].Seconds())
}

// sendImpression posts one impression of campaign and returns when the API accepted it.
func sendImpression(t *testing.T, e *env, key, campaign string) time.Time {
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	body, _ := json.Marshal(map[string]any{
		"event_id": hex.EncodeToString(id), "type": "impression", "campaign_id": campaign,
		"ad_id": "ad-1", "user_id": "u-" + campaign,
		"occurred_at": time.Now().UTC().Format(time.RFC3339Nano),
		"cost_micros": 1000, "currency": "EUR",
	})
	req, _ := http.NewRequest("POST", e.c.base+"/v1/events", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return time.Time{}
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusOK {
		t.Errorf("ingest %s: status %d", campaign, resp.StatusCode)
	}
	return time.Now()
}
