package mgmt_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func tenantIsolation(t *testing.T, e *env) {
	c := e.c
	// Two live campaigns of A, so that A's list has a next page.
	var ids []string
	for _, name := range []string{"Isolation one", "Isolation two"} {
		r := c.do(t, req{method: "POST", path: "/v1/campaigns", token: e.managerA,
			body: newCampaign(name)})
		want(t, "create", r, http.StatusCreated)
		var cmp struct{ ID string }
		r.decode(t, &cmp)
		ids = append(ids, cmp.ID)
	}

	// Everything B tries on A's campaigns looks like a campaign that does not exist.
	for _, id := range []string{ids[0], e.campaignA} {
		path := "/v1/campaigns/" + id
		for _, rq := range []req{
			{method: "GET", path: path},
			{method: "PUT", path: path, body: newCampaign("Taken")},
			{method: "PATCH", path: path, body: map[string]string{"name": "Taken"}},
			{method: "DELETE", path: path},
			{method: "PATCH", path: path + "/status", body: map[string]string{"status": "active"}},
			{method: "GET", path: path + "/targeting"},
			{method: "PUT", path: path + "/targeting", body: map[string]any{"geo": []string{"FR"}}},
			{method: "GET", path: path + "/history"},
		} {
			rq.token = e.adminB
			if r := c.do(t, rq); r.status != http.StatusNotFound || r.code() != "not_found" {
				t.Errorf("B %s %s = %d %.200s, want 404 not_found", rq.method, rq.path,
					r.status, r.body)
			}
		}
	}
	for _, q := range []string{"", "?status=archived"} {
		r := c.do(t, req{method: "GET", path: "/v1/campaigns" + q, token: e.adminB})
		want(t, "B lists", r, http.StatusOK)
		for _, id := range append(ids, e.campaignA) {
			if containsID(t, r, id) {
				t.Errorf("B's list%s shows A's campaign %s", q, id)
			}
		}
	}

	// A cursor of A's list is useless to B.
	r := c.do(t, req{method: "GET", path: "/v1/campaigns?limit=1", token: e.managerA})
	want(t, "A's first page", r, http.StatusOK)
	var page struct {
		Links struct{ Next string } `json:"_links"`
	}
	r.decode(t, &page)
	next, err := url.Parse(page.Links.Next)
	if err != nil || next.Query().Get("cursor") == "" {
		t.Fatalf("A's first page has no next link: %s", r.body)
	}
	r = c.do(t, req{method: "GET", path: page.Links.Next, token: e.adminB})
	if r.status != http.StatusBadRequest || r.code() != "invalid_cursor" {
		t.Errorf("B follows A's next link: %d %.200s, want 400 invalid_cursor", r.status, r.body)
	}

	// A's campaign is untouched by all of that.
	r = c.do(t, req{method: "GET", path: "/v1/campaigns/" + ids[0], token: e.managerA})
	want(t, "A reads its campaign", r, http.StatusOK)
	if !strings.Contains(string(r.body), `"version":1`) {
		t.Errorf("A's campaign changed: %.300s", r.body)
	}

	// Users and keys of A are invisible to B's admin.
	for _, rq := range []req{
		{method: "GET", path: "/v1/users/" + e.userA},
		{method: "PATCH", path: "/v1/users/" + e.userA, body: map[string]bool{"disabled": true}},
		{method: "DELETE", path: "/v1/api-keys/" + e.a.APIKeyID},
	} {
		rq.token = e.adminB
		if r := c.do(t, rq); r.status != http.StatusNotFound {
			t.Errorf("B %s %s = %d %.200s, want 404", rq.method, rq.path, r.status, r.body)
		}
	}
	for _, list := range []struct{ path, foreign string }{
		{"/v1/users", e.userA}, {"/v1/api-keys", e.a.APIKeyID},
	} {
		r := c.do(t, req{method: "GET", path: list.path, token: e.adminB})
		want(t, "B lists "+list.path, r, http.StatusOK)
		if strings.Contains(string(r.body), list.foreign) {
			t.Errorf("B's %s shows A's %s", list.path, list.foreign)
		}
	}
	r = c.do(t, req{method: "GET", path: "/v1/api-keys", token: e.adminA})
	want(t, "A lists its keys", r, http.StatusOK)
	if !strings.Contains(string(r.body), e.a.APIKeyID) ||
		strings.Contains(string(r.body), `"revoked":true`) {
		t.Errorf("A's keys after B's attempts: %.300s", r.body)
	}
}
