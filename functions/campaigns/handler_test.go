package main

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/principal"
)

func TestCreateAndGet(t *testing.T) {
	h := newTestHandler(t)
	out := do(t, h, request{who: managerA, method: "POST", path: "/v1/campaigns",
		body: strings.Replace(body1, "{", `{"tenant_id": "t_b", "status": "active", `, 1),
		headers: map[string]string{"Content-Type": "application/json; charset=utf-8",
			"Origin": "https://app.example"}})
	wantStatus(t, "create", out, 201)
	c := decode[campaign.Campaign](t, out)
	if !strings.HasPrefix(c.ID, "cmp_") || c.Status != campaign.Draft || c.Version != 1 ||
		c.CreatedBy != managerA.UserID {
		t.Errorf("created: got %+v", c)
	}
	checks := map[string]string{"Location": "/v1/campaigns/" + c.ID,
		"ETag": campaign.ETag(c.ID, 1), "X-Request-Id": "req-test",
		"Access-Control-Allow-Origin": "https://app.example", "X-Content-Type-Options": "nosniff"}
	for k, want := range checks {
		if got := out.Headers[k]; got != want {
			t.Errorf("header %s: got %q, want %q", k, got, want)
		}
	}
	if strings.Contains(out.Body, "tenant") {
		t.Errorf("body shows a tenant: %s", out.Body)
	}

	// The tenant_id in the body was ignored: the campaign is A's, not B's.
	got := do(t, h, request{who: analystA, method: "GET", path: "/v1/campaigns/" + c.ID})
	wantStatus(t, "get", got, 200)
	if got.Headers["ETag"] != out.Headers["ETag"] || got.Body != out.Body {
		t.Errorf("get: got %s %s, want the created campaign", got.Headers["ETag"], got.Body)
	}
	wantStatus(t, "get as B", do(t, h, request{who: managerB, method: "GET",
		path: "/v1/campaigns/" + c.ID}), 404)
}

func TestValidationListsEveryField(t *testing.T) {
	h := newTestHandler(t)
	out := do(t, h, request{who: managerA, method: "POST", path: "/v1/campaigns",
		body: `{"name": "", "objectives": ["fame"], "channels": ["video"],
			"budget": {"total_micros": 10, "daily_cap_micros": 20, "currency": "XXY"},
			"schedule": {"start": "2026-03-02T00:00:00Z", "end": "2026-03-01T00:00:00Z",
				"timezone": "Nowhere/City"}}`})
	wantStatus(t, "invalid create", out, 400)
	p := decode[problem](t, out)
	var got []string
	for _, f := range p.Error.Fields {
		got = append(got, f.Field+": "+f.Reason)
	}
	want := []string{
		"brand_id: is required",
		"budget.currency: must be an ISO 4217 currency code such as USD",
		"budget.daily_cap_micros: must not exceed budget.total_micros",
		"name: is required",
		"objectives[0]: must be one of: awareness, traffic, engagement, leads, sales, " +
			"app_installs",
		"schedule.end: must be after schedule.start",
		"schedule.timezone: must be an IANA time zone such as Europe/Paris",
	}
	if !reflect.DeepEqual(got, want) || p.Error.Code != "validation_failed" ||
		p.RequestID != "req-test" {
		t.Errorf("got %s %q\nwant %q", p.Error.Code, got, want)
	}

	for _, tc := range []struct {
		name, body, ctype string
		status            int
	}{
		{"not json", `{`, "application/json", 400},
		{"array", `[1]`, "application/json", 400},
		{"form", `a=b`, "application/x-www-form-urlencoded", 415},
		{"too large", `{"name": "` + strings.Repeat("x", 70<<10) + `"}`, "application/json",
			413},
	} {
		out := do(t, h, request{who: managerA, method: "POST", path: "/v1/campaigns",
			body: tc.body, headers: map[string]string{"Content-Type": tc.ctype}})
		wantStatus(t, tc.name, out, tc.status)
	}
}

func TestAnalystReadsOnly(t *testing.T) {
	h := newTestHandler(t)
	c, _ := create(t, h, adminA, body1)
	path := "/v1/campaigns/" + c.ID
	cases := []struct {
		method, path, body string
		want               int
	}{
		{"GET", "/v1/campaigns", "", 200},
		{"GET", path, "", 200},
		{"GET", path + "/targeting", "", 200},
		{"GET", path + "/history", "", 200},
		{"POST", "/v1/campaigns", body1, 403},
		{"PUT", path, body1, 403},
		{"PATCH", path, `{"name": "x"}`, 403},
		{"DELETE", path, "", 403},
		{"PATCH", path + "/status", `{"status": "active"}`, 403},
		{"PUT", path + "/targeting", `{}`, 403},
	}
	for _, tc := range cases {
		out := do(t, h, request{who: analystA, method: tc.method, path: tc.path, body: tc.body})
		wantStatus(t, tc.method+" "+tc.path, out, tc.want)
		if tc.want == 403 {
			p := decode[problem](t, out)
			if p.Error.Message != "role analyst may not change campaigns" {
				t.Errorf("%s %s: got reason %q", tc.method, tc.path, p.Error.Message)
			}
		}
	}
}

func TestStatusMoves(t *testing.T) {
	h := newTestHandler(t)
	for _, from := range campaign.Statuses {
		for _, to := range campaign.Statuses {
			t.Run(fmt.Sprintf("%s to %s", from, to), func(t *testing.T) {
				c, _ := create(t, h, managerA, body1)
				reach(t, h, c.ID, from)
				out := setStatus(t, h, c.ID, to, "")
				if from == to || campaign.Transition(from, to) == nil {
					wantStatus(t, "legal move", out, 200)
					if got := decode[campaign.Campaign](t, out).Status; got != to {
						t.Errorf("got status %s, want %s", got, to)
					}
					return
				}
				wantStatus(t, "illegal move", out, 409)
				p := decode[problem](t, out)
				want := []string{}
				for _, s := range from.Moves() {
					want = append(want, string(s))
				}
				if p.Error.Code != "illegal_transition" || !reflect.DeepEqual(p.Error.Allowed,
					want) && len(want) > 0 {
					t.Errorf("got %s allowed %v, want %v", p.Error.Code, p.Error.Allowed, want)
				}
			})
		}
	}
	c, _ := create(t, h, managerA, body1)
	wantStatus(t, "unknown status", setStatus(t, h, c.ID, "launched", ""), 400)
}

// reach moves a new campaign to status s along legal moves.
func reach(t *testing.T, h *Handler, id string, s campaign.Status) {
	t.Helper()
	path := map[campaign.Status][]campaign.Status{
		campaign.Draft: nil, campaign.Active: {campaign.Active},
		campaign.Paused:    {campaign.Active, campaign.Paused},
		campaign.Completed: {campaign.Active, campaign.Completed},
		campaign.Archived:  {campaign.Archived},
	}[s]
	for _, step := range path {
		wantStatus(t, "reach "+string(step), setStatus(t, h, id, step, ""), 200)
	}
}

func setStatus(t *testing.T, h *Handler, id string, s campaign.Status, etag string) eventsResp {
	t.Helper()
	r := request{who: managerA, method: "PATCH", path: "/v1/campaigns/" + id + "/status",
		body: fmt.Sprintf(`{"status": %q}`, s)}
	if etag != "" {
		r.headers = map[string]string{"Content-Type": "application/json", "If-Match": etag}
	}
	return do(t, h, r)
}

// TestSameETagOneWins sends two writes with the same ETag at once, for every write
// route: exactly one succeeds and the other gets 412.
func TestSameETagOneWins(t *testing.T) {
	h := newTestHandler(t)
	cases := []struct {
		name         string
		method, tail string
		bodies       [2]string
	}{
		{"patch", "PATCH", "", [2]string{`{"name": "one"}`, `{"name": "two"}`}},
		{"put", "PUT", "", [2]string{strings.Replace(body1, "Spring", "Winter", 1),
			strings.Replace(body1, "Spring", "Autumn", 1)}},
		{"status", "PATCH", "/status", [2]string{`{"status": "active"}`,
			`{"status": "archived"}`}},
		{"targeting", "PUT", "/targeting", [2]string{`{"geo": ["DE"]}`, `{"geo": ["IT"]}`}},
		{"delete", "DELETE", "", [2]string{"", ""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for round := 0; round < 5; round++ {
				c, etag := create(t, h, managerA, body1)
				var wg sync.WaitGroup
				codes := make([]int, 2)
				start := make(chan struct{})
				for i := range codes {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						codes[i] = do(t, h, request{who: managerA, method: tc.method,
							path: "/v1/campaigns/" + c.ID + tc.tail, body: tc.bodies[i],
							headers: map[string]string{"If-Match": etag,
								"Content-Type": "application/json"}}).StatusCode
					}()
				}
				close(start)
				wg.Wait()
				ok := (codes[0] == 200) != (codes[1] == 200)
				if !ok || codes[0]+codes[1] != 200+412 {
					t.Fatalf("round %d: got %v, want one 200 and one 412", round, codes)
				}
			}
		})
	}
}

func TestIfMatch(t *testing.T) {
	h := newTestHandler(t)
	c, etag := create(t, h, managerA, body1)
	path := "/v1/campaigns/" + c.ID
	patch := func(ifMatch, name string) eventsResp {
		hd := map[string]string{"Content-Type": "application/merge-patch+json"}
		if ifMatch != "" {
			hd["If-Match"] = ifMatch
		}
		return do(t, h, request{who: managerA, method: "PATCH", path: path,
			body: `{"name": "` + name + `"}`, headers: hd})
	}
	first := patch(etag, "v2")
	wantStatus(t, "current etag", first, 200)
	if first.Headers["ETag"] == etag || first.Headers["ETag"] != campaign.ETag(c.ID, 2) {
		t.Errorf("new etag: got %s", first.Headers["ETag"])
	}
	wantStatus(t, "stale etag", patch(etag, "v3"), 412)
	wantStatus(t, "weak etag", patch("W/"+first.Headers["ETag"], "v3"), 412)
	wantStatus(t, "star", patch("*", "v3"), 200)
	wantStatus(t, "no If-Match", patch("", "v4"), 200)
	got := decode[campaign.Campaign](t, do(t, h, request{who: managerA, method: "GET",
		path: path}))
	if got.Name != "v4" || got.Version != 4 {
		t.Errorf("got %s v%d, want v4 at version 4", got.Name, got.Version)
	}
}

func TestMergePatch(t *testing.T) {
	h := newTestHandler(t)
	c, _ := create(t, h, managerA, body1)
	out := do(t, h, request{who: managerA, method: "PATCH", path: "/v1/campaigns/" + c.ID,
		body: `{"budget": {"daily_cap_micros": null, "total_micros": 7000000000},
			"targeting": {"devices": null, "geo": ["DE", "FR"]}, "version": 99,
			"id": "cmp_other", "created_by": "mallory"}`,
		headers: map[string]string{"Content-Type": "application/merge-patch+json"}})
	wantStatus(t, "patch", out, 200)
	got := decode[campaign.Campaign](t, out)
	if got.Budget.DailyCapMicros != nil || got.Budget.TotalMicros != 7000000000 ||
		got.Budget.Currency != "EUR" || got.Targeting.Devices != nil ||
		!reflect.DeepEqual(got.Targeting.Geo, []string{"DE", "FR"}) ||
		got.ID != c.ID || got.Version != 2 || got.CreatedBy != managerA.UserID {
		t.Errorf("patched: got %s", out.Body)
	}
	wantStatus(t, "required field removed", do(t, h, request{who: managerA, method: "PATCH",
		path: "/v1/campaigns/" + c.ID, body: `{"name": null}`}), 400)
	wantStatus(t, "text/plain", do(t, h, request{who: managerA, method: "PATCH",
		path: "/v1/campaigns/" + c.ID, body: `{}`,
		headers: map[string]string{"Content-Type": "text/plain"}}), 415)
}

func TestTargetingRoute(t *testing.T) {
	h := newTestHandler(t)
	c, etag := create(t, h, managerA, body1)
	path := "/v1/campaigns/" + c.ID + "/targeting"
	out := do(t, h, request{who: analystA, method: "GET", path: path})
	if out.StatusCode != 200 || out.Headers["ETag"] != etag ||
		out.Body != `{"geo":["FR"],"devices":["mobile"]}` {
		t.Errorf("get targeting: got %d %s %s", out.StatusCode, out.Headers["ETag"], out.Body)
	}
	bad := do(t, h, request{who: managerA, method: "PUT", path: path,
		body: `{"geo": ["France"], "devices": ["tv"], "dayparting": [{"days": ["mon"],
			"start_hour": 20, "end_hour": 8}]}`})
	wantStatus(t, "bad targeting", bad, 400)
	var fields []string
	for _, f := range decode[problem](t, bad).Error.Fields {
		fields = append(fields, f.Field)
	}
	want := []string{"targeting.dayparting[0].end_hour", "targeting.devices[0]",
		"targeting.geo[0]"}
	if !reflect.DeepEqual(fields, want) {
		t.Errorf("got fields %q, want %q", fields, want)
	}
	put := do(t, h, request{who: managerA, method: "PUT", path: path,
		body: `{"audiences": ["aud_9"]}`})
	if put.StatusCode != 200 || put.Body != `{"audiences":["aud_9"]}` ||
		put.Headers["ETag"] != campaign.ETag(c.ID, 2) {
		t.Errorf("put targeting: got %d %s %s", put.StatusCode, put.Headers["ETag"], put.Body)
	}
}

func TestDeleteArchives(t *testing.T) {
	h := newTestHandler(t)
	c, _ := create(t, h, managerA, body1)
	path := "/v1/campaigns/" + c.ID
	out := do(t, h, request{who: managerA, method: "DELETE", path: path})
	wantStatus(t, "delete", out, 200)
	if got := decode[campaign.Campaign](t, out); got.Status != campaign.Archived ||
		got.Version != 2 {
		t.Errorf("deleted: got %s v%d, want archived v2", got.Status, got.Version)
	}
	again := do(t, h, request{who: managerA, method: "DELETE", path: path})
	if again.StatusCode != 200 || again.Headers["ETag"] != out.Headers["ETag"] {
		t.Errorf("delete again: got %d %s, want 200 and no new version", again.StatusCode,
			again.Headers["ETag"])
	}
	edit := do(t, h, request{who: managerA, method: "PATCH", path: path, body: `{"name": "z"}`})
	wantStatus(t, "edit archived", edit, 409)
	if p := decode[problem](t, edit); p.Error.Code != "archived" {
		t.Errorf("edit archived: got code %s", p.Error.Code)
	}
	list := decode[listBody](t, do(t, h, request{who: managerA, method: "GET",
		path: "/v1/campaigns"}))
	if len(list.Items) != 0 {
		t.Errorf("default list shows %d archived campaigns, want 0", len(list.Items))
	}
}

func TestIdempotentCreate(t *testing.T) {
	h := newTestHandler(t)
	post := func(who principal.Principal, key, body string) eventsResp {
		return do(t, h, request{who: who, method: "POST", path: "/v1/campaigns", body: body,
			headers: map[string]string{"Content-Type": "application/json",
				"Idempotency-Key": key}})
	}
	first := post(managerA, "key-1", body1)
	wantStatus(t, "first", first, 201)
	again := post(managerA, "key-1", body1)
	if again.StatusCode != 201 || again.Body != first.Body ||
		again.Headers["Location"] != first.Headers["Location"] ||
		again.Headers["ETag"] != first.Headers["ETag"] ||
		again.Headers["Idempotent-Replayed"] != "true" {
		t.Errorf("replay: got %d %v %s", again.StatusCode, again.Headers, again.Body)
	}
	other := post(managerA, "key-1", strings.Replace(body1, "Spring", "Winter", 1))
	wantStatus(t, "same key, other body", other, 422)
	if p := decode[problem](t, other); p.Error.Code != "idempotency_key_reused" {
		t.Errorf("got code %s", p.Error.Code)
	}
	wantStatus(t, "same key, other tenant", post(managerB, "key-1", body1), 201)
	wantStatus(t, "bad key", post(managerA, "bad\tkey", body1), 400)

	// Concurrent retries with one key create one campaign.
	var wg sync.WaitGroup
	bodies := make([]string, 4)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bodies[i] = post(managerA, "key-2", body1).Body
		}()
	}
	wg.Wait()
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Errorf("concurrent replays differ: %s vs %s", b, bodies[0])
		}
	}
	list := decode[listBody](t, do(t, h, request{who: managerA, method: "GET",
		path: "/v1/campaigns"}))
	if len(list.Items) != 2 {
		t.Errorf("tenant A has %d campaigns, want 2", len(list.Items))
	}
}
