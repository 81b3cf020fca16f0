package main

import (
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/adpulse/adpulse/shared/campaign"
)

// follow reads a _links URL back into query parameters.
func follow(t *testing.T, link string) map[string]string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Path != "/v1/campaigns" {
		t.Fatalf("bad link %q: %v", link, err)
	}
	q := map[string]string{}
	for k, v := range u.Query() {
		q[k] = v[0]
	}
	return q
}

func TestListPagesAndCursors(t *testing.T) {
	h := newTestHandler(t)
	var ids []string
	for i := 0; i < 7; i++ {
		body := strings.Replace(body1, "Spring sale", fmt.Sprintf("c%d", 6-i), 1)
		if i%2 == 0 {
			body = strings.Replace(body, `"display", "video"`, `"search"`, 1)
		}
		c, _ := create(t, h, managerA, body)
		ids = append(ids, c.ID)
	}
	create(t, h, managerB, body1)

	// Page through by name, three at a time, following the next links.
	query := map[string]string{"sort": "name", "limit": "3"}
	var got []string
	var firstNext string
	for pages := 0; query != nil; pages++ {
		out := do(t, h, request{who: analystA, method: "GET", path: "/v1/campaigns",
			query: query})
		wantStatus(t, "list", out, 200)
		page := decode[listBody](t, out)
		for _, c := range page.Items {
			got = append(got, c.ID)
		}
		if page.Links.Self == "" {
			t.Errorf("page %d has no self link", pages)
		}
		if pages == 0 {
			firstNext = page.Links.Next
		}
		query = nil
		if page.Links.Next != "" {
			query = follow(t, page.Links.Next)
		}
	}
	want := []string{ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]} // c0 .. c6
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}

	// The first page's cursor, misused.
	next := follow(t, firstNext)
	tok := next["cursor"]
	cases := []struct {
		name  string
		who   principalT
		query map[string]string
	}{
		{"other tenant", managerB, next},
		{"other sort", managerA, map[string]string{"sort": "-name", "cursor": tok}},
		{"other filter", managerA, map[string]string{"sort": "name", "channel": "search",
			"cursor": tok}},
		{"tampered", managerA, map[string]string{"sort": "name", "cursor": "e30" + tok}},
		{"garbage", managerA, map[string]string{"sort": "name", "cursor": "abc"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := do(t, h, request{who: tc.who, method: "GET", path: "/v1/campaigns",
				query: tc.query})
			wantStatus(t, "misused cursor", out, 400)
			if p := decode[problem](t, out); p.Error.Code != "invalid_cursor" {
				t.Errorf("got code %s, want invalid_cursor", p.Error.Code)
			}
		})
	}
	// Another limit keeps the cursor valid: the limit is not part of the query's scope.
	next["limit"] = "10"
	wantStatus(t, "other limit", do(t, h, request{who: managerA, method: "GET",
		path: "/v1/campaigns", query: next}), 200)

	filtered := decode[listBody](t, do(t, h, request{who: managerA, method: "GET",
		path: "/v1/campaigns", query: map[string]string{"channel": "search", "limit": "100"}}))
	if len(filtered.Items) != 4 {
		t.Errorf("channel=search: got %d campaigns, want 4", len(filtered.Items))
	}
}

func TestListBadParameters(t *testing.T) {
	h := newTestHandler(t)
	out := do(t, h, request{who: managerA, method: "GET", path: "/v1/campaigns",
		query: map[string]string{"limit": "101", "sort": "budget", "status": "live",
			"channel": "radio", "colour": "red"}})
	wantStatus(t, "bad parameters", out, 400)
	var got []string
	for _, f := range decode[problem](t, out).Error.Fields {
		got = append(got, f.Field)
	}
	want := []string{"channel", "colour", "limit", "sort", "status"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got fields %v, want %v", got, want)
	}
	wantStatus(t, "limit 0", do(t, h, request{who: managerA, method: "GET",
		path: "/v1/campaigns", query: map[string]string{"limit": "0"}}), 400)
}

// TestTenantIsolation: tenant B can neither read, list, change, delete nor learn of
// tenant A's campaigns; every attempt answers 404 exactly as for an id that never
// existed.
func TestTenantIsolation(t *testing.T) {
	h := newTestHandler(t)
	c, etag := create(t, h, managerA, body1)
	never := "cmp_01ARZ3NDEKTSV4RRFFQ69G5FAV"
	for _, id := range []string{c.ID, never} {
		base := "/v1/campaigns/" + id
		cases := []struct{ method, path, body string }{
			{"GET", base, ""},
			{"PUT", base, body1},
			{"PATCH", base, `{"name": "mine now"}`},
			{"DELETE", base, ""},
			{"PATCH", base + "/status", `{"status": "active"}`},
			{"GET", base + "/targeting", ""},
			{"PUT", base + "/targeting", `{"geo": ["DE"]}`},
			{"GET", base + "/history", ""},
		}
		for _, tc := range cases {
			out := do(t, h, request{who: managerB, method: tc.method, path: tc.path,
				body: tc.body, headers: map[string]string{"If-Match": etag,
					"Content-Type": "application/json"}})
			wantStatus(t, "B: "+tc.method+" "+tc.path, out, 404)
			if p := decode[problem](t, out); p.Error.Message != "campaign not found" {
				t.Errorf("B: %s %s: got message %q", tc.method, tc.path, p.Error.Message)
			}
		}
	}
	for _, q := range []map[string]string{nil, {"status": "archived"}, {"brand_id": "brand_1"},
		{"sort": "name"}} {
		page := decode[listBody](t, do(t, h, request{who: managerB, method: "GET",
			path: "/v1/campaigns", query: q}))
		if len(page.Items) != 0 {
			t.Errorf("B lists %d of A's campaigns with %v", len(page.Items), q)
		}
	}
	got := decode[campaign.Campaign](t, do(t, h, request{who: managerA, method: "GET",
		path: "/v1/campaigns/" + c.ID}))
	if got.Version != 1 || got.Name != c.Name || got.Status != campaign.Draft {
		t.Errorf("A's campaign changed: %+v", got)
	}
}

func TestHistory(t *testing.T) {
	h := newTestHandler(t)
	c, _ := create(t, h, managerA, body1)
	path := "/v1/campaigns/" + c.ID
	wantStatus(t, "patch", do(t, h, request{who: adminA, method: "PATCH", path: path,
		body: `{"name": "Renamed", "budget": {"daily_cap_micros": null}}`}), 200)
	wantStatus(t, "status", setStatus(t, h, c.ID, campaign.Active, ""), 200)

	out := do(t, h, request{who: analystA, method: "GET", path: path + "/history"})
	wantStatus(t, "history", out, 200)
	body := decode[struct {
		Items []campaign.Entry `json:"items"`
	}](t, out)
	type summary struct {
		Version int64
		Action  string
		Actor   string
		Fields  string
	}
	var got []summary
	for _, e := range body.Items {
		var fields []string
		for _, ch := range e.Changes {
			fields = append(fields, ch.Field)
		}
		if e.At.IsZero() {
			t.Errorf("entry %d has no time", e.Version)
		}
		got = append(got, summary{e.Version, e.Action, e.Actor, strings.Join(fields, ",")})
	}
	want := []summary{
		{3, "status", managerA.UserID, "status"},
		{2, "patch", adminA.UserID, "budget.daily_cap_micros,name"},
		{1, "create", managerA.UserID, "brand_id,budget.currency,budget.daily_cap_micros," +
			"budget.total_micros,channels,name,objectives,schedule.end," +
			"schedule.start,schedule.timezone,status,targeting.devices,targeting.geo"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if ch := body.Items[1].Changes[1]; string(ch.From) != `"Spring sale"` ||
		string(ch.To) != `"Renamed"` {
		t.Errorf("name change: got %s -> %s", ch.From, ch.To)
	}
	limited := decode[struct {
		Items []campaign.Entry `json:"items"`
	}](t, do(t, h, request{who: analystA, method: "GET", path: path + "/history",
		query: map[string]string{"limit": "1"}}))
	if len(limited.Items) != 1 || limited.Items[0].Version != 3 {
		t.Errorf("limit 1: got %+v", limited.Items)
	}
}

func TestRouting(t *testing.T) {
	h := newTestHandler(t)
	cases := []struct {
		name     string
		r        request
		want     int
		wantHdrs map[string]string
	}{
		{"unknown route", request{who: managerA, method: "GET", path: "/v1/nothing"}, 404, nil},
		{"method not allowed", request{who: managerA, method: "POST",
			path: "/v1/campaigns/cmp_01ARZ3NDEKTSV4RRFFQ69G5FAV/history"}, 405,
			map[string]string{"Allow": "GET"}},
		{"malformed id", request{who: managerA, method: "GET",
			path: "/v1/campaigns/../../etc"}, 404, nil},
		{"no authorizer context", request{method: "GET", path: "/v1/campaigns"}, 500, nil},
		{"preflight", request{method: "OPTIONS", path: "/v1/campaigns",
			headers: map[string]string{"Origin": "https://app.example"}}, 204,
			map[string]string{"Access-Control-Allow-Methods": "GET, POST",
				"Access-Control-Allow-Origin": "https://app.example"}},
		{"preflight from elsewhere", request{method: "OPTIONS", path: "/v1/campaigns",
			headers: map[string]string{"Origin": "https://evil.example"}}, 204,
			map[string]string{"Access-Control-Allow-Origin": ""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := do(t, h, tc.r)
			wantStatus(t, tc.name, out, tc.want)
			for k, v := range tc.wantHdrs {
				if out.Headers[k] != v {
					t.Errorf("header %s: got %q, want %q", k, out.Headers[k], v)
				}
			}
			if tc.want >= 500 && strings.Contains(out.Body, "authorizer") {
				t.Errorf("internal error text leaked: %s", out.Body)
			}
		})
	}
}
