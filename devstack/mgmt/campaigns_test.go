package mgmt_test

import (
	"net/http"
	"strings"
	"testing"
)

// newCampaign is a valid campaign body.
func newCampaign(name string) map[string]any {
	return map[string]any{
		"name": name, "brand_id": "brand_1", "objectives": []string{"sales"},
		"channels": []string{"display"},
		"budget": map[string]any{"total_micros": 5000000000, "daily_cap_micros": 250000000,
			"currency": "EUR"},
		"schedule": map[string]any{"start": "2026-03-01T00:00:00Z",
			"end": "2026-03-31T00:00:00Z", "timezone": "Europe/Paris"},
	}
}

func campaignLife(t *testing.T, e *env) {
	c, tok := e.c, e.managerA

	// Create with an Idempotency-Key; a retry returns the first answer, another body
	// with the same key is refused.
	idem := map[string]string{"Idempotency-Key": "e2e-create-1"}
	r := c.do(t, req{method: "POST", path: "/v1/campaigns", token: tok,
		body: newCampaign("Spring sale"), header: idem})
	want(t, "create", r, http.StatusCreated)
	var cmp struct {
		ID      string `json:"id"`
		Status  string `json:"status"`
		Version int    `json:"version"`
	}
	r.decode(t, &cmp)
	e.campaignA = cmp.ID
	etag := r.header.Get("ETag")
	if cmp.Status != "draft" || cmp.Version != 1 || etag == "" ||
		r.header.Get("Location") != "/v1/campaigns/"+cmp.ID {
		t.Fatalf("created %+v, ETag %q, Location %q", cmp, etag, r.header.Get("Location"))
	}
	r = c.do(t, req{method: "POST", path: "/v1/campaigns", token: tok,
		body: newCampaign("Spring sale"), header: idem})
	want(t, "replay", r, http.StatusCreated)
	if r.header.Get("Idempotent-Replayed") != "true" || !strings.Contains(string(r.body), cmp.ID) {
		t.Errorf("replay: headers %v body %.200s", r.header, r.body)
	}
	r = c.do(t, req{method: "POST", path: "/v1/campaigns", token: tok,
		body: newCampaign("Other"), header: idem})
	want(t, "same key, other body", r, http.StatusUnprocessableEntity)

	// Read, then change only if nobody else did.
	path := "/v1/campaigns/" + cmp.ID
	r = c.do(t, req{method: "GET", path: path, token: tok})
	want(t, "get", r, http.StatusOK)
	if r.header.Get("ETag") != etag {
		t.Errorf("GET ETag %q, want %q", r.header.Get("ETag"), etag)
	}
	r = c.do(t, req{method: "PATCH", path: path, token: tok,
		body:   `{"name":"Spring sale EU","budget":{"daily_cap_micros":null}}`,
		header: map[string]string{"If-Match": etag, "Content-Type": "application/merge-patch+json"}})
	want(t, "patch", r, http.StatusOK)
	r = c.do(t, req{method: "PATCH", path: path, token: tok, body: `{"name":"stale"}`,
		header: map[string]string{"If-Match": etag}})
	want(t, "patch with a stale ETag", r, http.StatusPreconditionFailed)

	// Status moves: an illegal one is refused with the legal ones.
	r = c.do(t, req{method: "PATCH", path: path + "/status", token: tok,
		body: map[string]string{"status": "completed"}})
	want(t, "draft → completed", r, http.StatusConflict)
	var illegal struct {
		Error struct {
			Code    string   `json:"code"`
			Allowed []string `json:"allowed"`
		} `json:"error"`
	}
	r.decode(t, &illegal)
	if illegal.Error.Code != "illegal_transition" ||
		strings.Join(illegal.Error.Allowed, ",") != "active,archived" {
		t.Errorf("illegal move answer %s", r.body)
	}
	for _, s := range []string{"active", "paused", "active"} {
		r = c.do(t, req{method: "PATCH", path: path + "/status", token: tok,
			body: map[string]string{"status": s}})
		want(t, "→ "+s, r, http.StatusOK)
	}

	// Targeting, list, history.
	r = c.do(t, req{method: "PUT", path: path + "/targeting", token: tok,
		body: map[string]any{"geo": []string{"FR", "DE"}, "devices": []string{"mobile"},
			"dayparting": []map[string]any{{"days": []string{"sat", "sun"},
				"start_hour": 9, "end_hour": 21}}}})
	want(t, "put targeting", r, http.StatusOK)
	r = c.do(t, req{method: "GET", path: path + "/targeting", token: tok})
	want(t, "get targeting", r, http.StatusOK)
	r = c.do(t, req{method: "GET", path: "/v1/campaigns?limit=10&sort=name&channel=display",
		token: tok})
	want(t, "list", r, http.StatusOK)
	if !containsID(t, r, cmp.ID) {
		t.Errorf("list lacks %s: %.300s", cmp.ID, r.body)
	}
	r = c.do(t, req{method: "GET", path: path + "/history", token: tok})
	want(t, "history", r, http.StatusOK)

	// DELETE archives; the list hides archived campaigns unless asked for.
	r = c.do(t, req{method: "DELETE", path: path, token: tok})
	want(t, "delete", r, http.StatusOK)
	if !strings.Contains(string(r.body), `"status":"archived"`) {
		t.Errorf("delete answer %.200s", r.body)
	}
	r = c.do(t, req{method: "GET", path: "/v1/campaigns", token: tok})
	want(t, "list after delete", r, http.StatusOK)
	if containsID(t, r, cmp.ID) {
		t.Error("an archived campaign is listed by default")
	}
	r = c.do(t, req{method: "GET", path: "/v1/campaigns?status=archived", token: tok})
	want(t, "list archived", r, http.StatusOK)
	if !containsID(t, r, cmp.ID) {
		t.Error("status=archived does not list the archived campaign")
	}
}

func sameETagTwice(t *testing.T, e *env) {
	c, tok := e.c, e.managerA
	r := c.do(t, req{method: "POST", path: "/v1/campaigns", token: tok,
		body: newCampaign("Race")})
	want(t, "create", r, http.StatusCreated)
	var cmp struct{ ID string }
	r.decode(t, &cmp)
	etag := r.header.Get("ETag")

	// Two writers with the same ETag at once: exactly one wins.
	statuses := make([]int, 2)
	write := func(i int, name string) func() {
		return func() {
			statuses[i] = c.do(t, req{method: "PATCH", path: "/v1/campaigns/" + cmp.ID,
				token: tok, body: map[string]string{"name": name},
				header: map[string]string{"If-Match": etag}}).status
		}
	}
	parallel(write(0, "Race one"), write(1, "Race two"))
	ok, failed := 0, 0
	for _, s := range statuses {
		switch s {
		case http.StatusOK:
			ok++
		case http.StatusPreconditionFailed:
			failed++
		}
	}
	if ok != 1 || failed != 1 {
		t.Errorf("two writes with ETag %s: statuses %v, want one 200 and one 412",
			trimQuotes(etag), statuses)
	}
}

func analystReadOnly(t *testing.T, e *env) {
	c, tok := e.c, e.analystA
	path := "/v1/campaigns/" + e.campaignA
	want(t, "analyst reads", c.do(t, req{method: "GET", path: path, token: tok}),
		http.StatusOK)
	want(t, "analyst lists", c.do(t, req{method: "GET", path: "/v1/campaigns", token: tok}),
		http.StatusOK)
	writes := []req{
		{method: "POST", path: "/v1/campaigns", body: newCampaign("Nope")},
		{method: "PATCH", path: path, body: map[string]string{"name": "Nope"}},
		{method: "PATCH", path: path + "/status", body: map[string]string{"status": "active"}},
		{method: "DELETE", path: path},
		{method: "POST", path: "/v1/users", body: map[string]string{
			"email": "x@a.example", "role": "admin"}},
		{method: "POST", path: "/v1/api-keys", body: map[string]string{"label": "x"}},
	}
	for _, w := range writes {
		w.token = tok
		r := c.do(t, w)
		if r.status != http.StatusForbidden || r.code() != "forbidden" {
			t.Errorf("analyst %s %s = %d %.200s, want 403 forbidden", w.method, w.path,
				r.status, r.body)
		}
	}
}
