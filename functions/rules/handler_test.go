package main

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/rules"
)

func TestCreateAndGet(t *testing.T) {
	e := newEnv(t)
	out := do(t, e.h, request{who: managerA, method: "POST", path: "/v1/rules",
		body: strings.Replace(ruleBody(e.campaignA), "{", `{"tenant_id": "t_b", `, 1),
		headers: map[string]string{"Content-Type": "application/json",
			"Origin": "https://app.example"}})
	wantStatus(t, "create", out, 201)
	c := decode[created](t, out)
	if !strings.HasPrefix(c.ID, "rul_") || c.Version != 1 || c.CreatedBy != managerA.UserID ||
		c.MinVolume != rules.DefaultMinVolume || c.CooldownSeconds != 3600 || !c.Enabled ||
		c.Join != rules.Or || c.Conditions[0].Scope != rules.Lifetime {
		t.Errorf("created: got %+v", c.Rule)
	}
	secretID := c.Channels[1].SecretID
	if secret := c.NewSecrets[secretID]; !strings.HasPrefix(secret, "whsec_") ||
		len(secret) != len("whsec_")+44 || len(c.NewSecrets) != 1 {
		t.Errorf("new secrets: got %v, want one whsec_ secret for %s", c.NewSecrets, secretID)
	}
	for k, want := range map[string]string{"Location": "/v1/rules/" + c.ID,
		"ETag": campaign.ETag(c.ID, 1), "Access-Control-Allow-Origin": "https://app.example"} {
		if got := out.Headers[k]; got != want {
			t.Errorf("header %s: got %q, want %q", k, got, want)
		}
	}

	// The secret is shown once: GET and list answers never carry it.
	got := do(t, e.h, request{who: analystA, method: "GET", path: "/v1/rules/" + c.ID})
	wantStatus(t, "get", got, 200)
	list := do(t, e.h, request{who: analystA, method: "GET", path: "/v1/rules"})
	wantStatus(t, "list", list, 200)
	for what, body := range map[string]string{"get": got.Body, "list": list.Body} {
		if strings.Contains(body, "whsec_") || strings.Contains(body, "tenant") {
			t.Errorf("%s shows a secret or the tenant: %s", what, body)
		}
	}
	if n := len(decode[struct{ Items []rules.Rule }](t, list).Items); n != 1 {
		t.Errorf("list: got %d rules, want 1", n)
	}

	// Tenant isolation: B sees nothing of A's.
	wantStatus(t, "get as B", do(t, e.h, request{who: managerB, method: "GET",
		path: "/v1/rules/" + c.ID}), 404)
	wantStatus(t, "delete as B", do(t, e.h, request{who: managerB, method: "DELETE",
		path: "/v1/rules/" + c.ID}), 404)
	listB := do(t, e.h, request{who: managerB, method: "GET", path: "/v1/rules"})
	if n := len(decode[struct{ Items []rules.Rule }](t, listB).Items); n != 0 {
		t.Errorf("list as B: got %d rules, want 0", n)
	}
}

func TestValidationListsEveryField(t *testing.T) {
	e := newEnv(t)
	body := `{"name": " ", "campaign_id": "` + e.campaignB + `", "colour": "red",
		"conditions": [
			{"metric": "roas", "op": "=>", "threshold": 1},
			{"metric": "ctr", "op": "<", "threshold": 1.5},
			{"metric": "spend", "op": ">", "threshold": 0.5, "scope": "last_minutes"},
			{"metric": "budget_used_pct", "op": ">=", "threshold": 80, "scope": "today"},
			{"metric": "clicks", "op": ">", "threshold": -1, "scope": "today", "minutes": 5}],
		"join": "xor", "cooldown_seconds": -1,
		"channels": [
			{"type": "webhook", "url": "http://169.254.169.254/latest"},
			{"type": "webhook", "url": "http://[::ffff:169.254.169.254]/"},
			{"type": "slack", "url": "http://localhost:8080/"},
			{"type": "webhook", "url": "file:///etc/passwd"},
			{"type": "webhook", "url": "https://meta.example/"},
			{"type": "email", "to": ["Ops <ops@example.com>", "x"]},
			{"type": "pager"}],
		"template": {"subject": "Hi\r\nBcc: x@example.com", "text": "{{secret}} {{link}}"}}`
	out := do(t, e.h, request{who: managerA, method: "POST", path: "/v1/rules", body: body})
	wantStatus(t, "invalid create", out, 400)
	got := decode[problem](t, out).fields()
	want := []string{
		"campaign_id: is not a campaign of yours",
		"channels[0].url: address 169.254.169.254 is link-local (includes cloud metadata)",
		"channels[1].url: address ::ffff:169.254.169.254 (IPv4-mapped form of " +
			"169.254.169.254) is link-local (includes cloud metadata)",
		"channels[2].url: host localhost is loopback",
		"channels[3].url: scheme must be https or http",
		"channels[4].url: host meta.example resolves to a refused address: address " +
			"169.254.169.254 is link-local (includes cloud metadata)",
		"channels[5].to[0]: must be a plain e-mail address",
		"channels[5].to[1]: must be a plain e-mail address",
		"channels[6].type: must be one of: email, webhook, slack",
		"colour: is not a rule field",
		"conditions[0].metric: must be one of: impressions, clicks, conversions, spend, " +
			"value, ctr, cvr, cpm, cpc, cpa, budget_used_pct",
		"conditions[0].op: must be one of: >, >=, <, <=, ==",
		"conditions[1].threshold: must be a fraction from 0 to 1 (0.01 means 1%)",
		"conditions[2].minutes: must be an integer from 1 to 1440",
		"conditions[2].threshold: must be an integer amount of micros from 0 to " +
			"1000000000000000 (1,000,000 micros = 1 unit of the campaign currency)",
		"conditions[3].scope: must be lifetime for budget_used_pct",
		"conditions[3].threshold: must be a fraction from 0 to 10 (0.8 means 80% of the " +
			"budget)",
		"conditions[4].minutes: is only allowed with scope last_minutes",
		"conditions[4].threshold: must be a number >= 0",
		"cooldown_seconds: must be an integer from 0 to 604800",
		"join: must be one of: and, or",
		"name: must not be blank",
		"template.subject: must not contain control characters",
		"template.text: has unknown placeholders: {{secret}}",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields:\ngot  %q\nwant %q", got, want)
	}

	for _, tc := range []struct {
		name, body, ctype string
		status            int
	}{
		{"not json", `{`, "application/json", 400},
		{"array", `[1]`, "application/json", 400},
		{"wrong type", `{"name": 5}`, "application/json", 400},
		{"form", `a=b`, "application/x-www-form-urlencoded", 415},
		{"too large", `{"name": "` + strings.Repeat("x", 70<<10) + `"}`, "application/json",
			413},
		{"missing campaign", ruleBody("cmp_01JQ5M8Y1W3V6TQ0H2X9ZK7B4C"), "application/json",
			400},
		{"no conditions", `{"name": "x", "conditions": [], "channels": [{"type": "email",
			"to": ["a@example.com"]}]}`, "application/json", 400},
	} {
		out := do(t, e.h, request{who: managerA, method: "POST", path: "/v1/rules",
			body: tc.body, headers: map[string]string{"Content-Type": tc.ctype}})
		wantStatus(t, tc.name, out, tc.status)
	}
}

func TestAnalystReadsOnly(t *testing.T) {
	e := newEnv(t)
	c := create(t, e.h, adminA, ruleBody(e.campaignA))
	path := "/v1/rules/" + c.ID
	cases := []struct {
		method, path, body string
		want               int
	}{
		{"GET", "/v1/rules", "", 200},
		{"GET", path, "", 200},
		{"GET", path + "/deliveries", "", 200},
		{"POST", "/v1/rules", ruleBody(e.campaignA), 403},
		{"PUT", path, ruleBody(e.campaignA), 403},
		{"PATCH", path, `{"name": "x"}`, 403},
		{"DELETE", path, "", 403},
		{"POST", path + "/channels/1/rotate-secret", "", 403},
	}
	for _, tc := range cases {
		out := do(t, e.h, request{who: analystA, method: tc.method, path: tc.path,
			body: tc.body})
		wantStatus(t, tc.method+" "+tc.path, out, tc.want)
		if tc.want == 403 {
			if got := decode[problem](t, out).Error.Message; got !=
				"role analyst may not change rules" {
				t.Errorf("%s %s: got reason %q", tc.method, tc.path, got)
			}
		}
	}
}

func TestPatchPutDelete(t *testing.T) {
	e := newEnv(t)
	c := create(t, e.h, managerA, ruleBody(e.campaignA))
	path := "/v1/rules/" + c.ID
	etag1 := campaign.ETag(c.ID, 1)

	// PATCH merges and keeps the webhook secret (the channels are untouched).
	out := do(t, e.h, request{who: managerA, method: "PATCH", path: path,
		body: `{"name": "Renamed", "enabled": false, "min_volume": null}`,
		headers: map[string]string{"Content-Type": "application/merge-patch+json",
			"If-Match": etag1}})
	wantStatus(t, "patch", out, 200)
	p := decode[created](t, out)
	if p.Name != "Renamed" || p.Enabled || p.MinVolume != rules.DefaultMinVolume ||
		p.Version != 2 || len(p.NewSecrets) != 0 || len(p.Conditions) != 2 {
		t.Errorf("patched: got %+v", p)
	}
	stored, err := e.rulesStore.Get(context.Background(), "t_a", c.ID)
	if err != nil || len(stored.Channels[1].Secrets) != 1 ||
		stored.Channels[1].Secrets[0].Value != c.NewSecrets[c.Channels[1].SecretID] {
		t.Errorf("stored after patch: got %+v %v, want the original secret", stored, err)
	}

	// A stale If-Match answers 412; a PATCH that changes nothing keeps the version.
	wantStatus(t, "stale patch", do(t, e.h, request{who: managerA, method: "PATCH",
		path: path, body: `{"name": "X"}`, headers: map[string]string{
			"Content-Type": "application/json", "If-Match": etag1}}), 412)
	same := do(t, e.h, request{who: managerA, method: "PATCH", path: path,
		body: `{"name": "Renamed"}`})
	if decode[rules.Rule](t, same).Version != 2 {
		t.Errorf("no-op patch: got %s, want version 2", same.Body)
	}

	// PUT of a webhook channel without secret_id gets a new secret; an unknown
	// secret_id is refused.
	out = do(t, e.h, request{who: managerA, method: "PUT", path: path,
		body: ruleBody(e.campaignA)})
	wantStatus(t, "put", out, 200)
	if put := decode[created](t, out); len(put.NewSecrets) != 1 ||
		put.Channels[1].SecretID == c.Channels[1].SecretID || !put.Enabled {
		t.Errorf("put: got %+v, want a new secret and defaults back", put)
	}
	bad := strings.Replace(ruleBody(e.campaignA), `"url": "https://hooks.example.com/adpulse"`,
		`"url": "https://hooks.example.com/adpulse", "secret_id": "sec_nope"`, 1)
	out = do(t, e.h, request{who: managerA, method: "PUT", path: path, body: bad})
	wantStatus(t, "put unknown secret", out, 400)

	// DELETE removes the rule.
	wantStatus(t, "delete", do(t, e.h, request{who: managerA, method: "DELETE",
		path: path}), 204)
	wantStatus(t, "get deleted", do(t, e.h, request{who: managerA, method: "GET",
		path: path}), 404)
	wantStatus(t, "delete again", do(t, e.h, request{who: managerA, method: "DELETE",
		path: path}), 404)
}

func TestRotateSecret(t *testing.T) {
	e := newEnv(t)
	c := create(t, e.h, managerA, ruleBody(e.campaignA))
	path := "/v1/rules/" + c.ID + "/channels/1/rotate-secret"
	out := do(t, e.h, request{who: managerA, method: "POST", path: path})
	wantStatus(t, "rotate", out, 200)
	r := decode[struct {
		SecretID           string    `json:"secret_id"`
		Secret             string    `json:"secret"`
		PreviousValidUntil time.Time `json:"previous_valid_until"`
	}](t, out)
	old := c.NewSecrets[c.Channels[1].SecretID]
	if r.SecretID != c.Channels[1].SecretID || !strings.HasPrefix(r.Secret, "whsec_") ||
		r.Secret == old || r.PreviousValidUntil.IsZero() {
		t.Errorf("rotate: got %+v", r)
	}
	stored, _ := e.rulesStore.Get(context.Background(), "t_a", c.ID)
	got := stored.Channels[1].SigningSecrets(time.Now())
	if !reflect.DeepEqual(got, []string{r.Secret, old}) {
		t.Errorf("signing secrets after rotation: got %d secrets, want [new, old]", len(got))
	}
	if n := len(stored.Channels[1].SigningSecrets(time.Now().Add(25 * time.Hour))); n != 1 {
		t.Errorf("signing secrets a day later: got %d, want 1", n)
	}
	wantStatus(t, "rotate email channel", do(t, e.h, request{who: managerA, method: "POST",
		path: "/v1/rules/" + c.ID + "/channels/0/rotate-secret"}), 400)
	wantStatus(t, "rotate missing channel", do(t, e.h, request{who: managerA,
		method: "POST", path: "/v1/rules/" + c.ID + "/channels/9/rotate-secret"}), 400)
	wantStatus(t, "rotate as B", do(t, e.h, request{who: managerB, method: "POST",
		path: path}), 404)
}

func TestDeliveries(t *testing.T) {
	e := newEnv(t)
	c := create(t, e.h, managerA, ruleBody(e.campaignA))
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ntf := rules.NotificationID("t_a", c.ID, e.campaignA, 1, rules.Fire)
	entries := []rules.Delivery{{Kind: rules.KindFiring, At: at}}
	for i := 1; i <= 4; i++ {
		entries = append(entries, rules.Delivery{Kind: rules.KindAttempt, Channel: 1,
			ChannelType: rules.Webhook, Attempt: i, Outcome: rules.OutcomeRetrying,
			StatusCode: 500, At: at.Add(time.Duration(i) * time.Second)})
	}
	entries[4].Outcome, entries[4].StatusCode = rules.OutcomeDelivered, 204
	for _, d := range append(entries, entries[0]) { // the firing twice: one entry
		d.NotificationID, d.RuleID, d.CampaignID, d.Episode = ntf, c.ID, e.campaignA, 1
		if err := e.rulesStore.AppendDelivery(ctx, "t_a", d); err != nil {
			t.Fatal(err)
		}
	}

	var seen []string
	next := "/v1/rules/" + c.ID + "/deliveries?limit=2"
	for page := 0; next != "" && page < 5; page++ {
		path, query, _ := strings.Cut(next, "?")
		q := map[string]string{}
		for _, kv := range strings.Split(query, "&") {
			k, v, _ := strings.Cut(kv, "=")
			q[k] = strings.ReplaceAll(v, "%3D", "=")
		}
		out := do(t, e.h, request{who: analystA, method: "GET", path: path, query: q})
		wantStatus(t, "deliveries", out, 200)
		body := decode[struct {
			Items []rules.Delivery
			Links map[string]string `json:"_links"`
		}](t, out)
		for _, d := range body.Items {
			seen = append(seen, fmt.Sprintf("%s/%d/%s", d.Kind, d.Attempt, d.Outcome))
		}
		next = body.Links["next"]
	}
	want := []string{"attempt/4/delivered", "attempt/3/retrying", "attempt/2/retrying",
		"attempt/1/retrying", "firing/0/"}
	if !reflect.DeepEqual(seen, want) {
		t.Errorf("deliveries newest first:\ngot  %v\nwant %v", seen, want)
	}
	wantStatus(t, "deliveries as B", do(t, e.h, request{who: managerB, method: "GET",
		path: "/v1/rules/" + c.ID + "/deliveries"}), 404)
	wantStatus(t, "bad limit", do(t, e.h, request{who: managerA, method: "GET",
		path: "/v1/rules/" + c.ID + "/deliveries", query: map[string]string{"limit": "0"}}),
		400)
}

func TestRoutes(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		method, path string
		want         int
	}{
		{"GET", "/v1/rules/not-an-id", 404},
		{"GET", "/v1/rules/rul_01JQ5M8Y1W3V6TQ0H2X9ZK7B4C", 404},
		{"POST", "/v1/rules/rul_01JQ5M8Y1W3V6TQ0H2X9ZK7B4C", 405},
		{"OPTIONS", "/v1/rules", 204},
		{"GET", "/v1/nothing", 404},
	}
	for _, tc := range cases {
		wantStatus(t, tc.method+" "+tc.path, do(t, e.h, request{who: managerA,
			method: tc.method, path: tc.path}), tc.want)
	}
}
