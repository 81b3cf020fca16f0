package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/adpulse/adpulse/shared/aggregate"
	"github.com/adpulse/adpulse/shared/event"
	"github.com/adpulse/adpulse/shared/ipinyou"
	"github.com/adpulse/adpulse/shared/report"
	"github.com/adpulse/adpulse/shared/totals"
)

// ipinyouEvents reads the shared iPinYou logs (../shared/data/ipinyou from the repository
// root, or $IPINYOU_DIR): skipped where they are missing, failed on CI.
func ipinyouEvents(t *testing.T) []event.Event {
	t.Helper()
	dir := os.Getenv("IPINYOU_DIR")
	if dir == "" {
		root, err := filepath.Abs("../..")
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, "../shared/data/ipinyou")
	}
	var all []event.Event
	for _, name := range []string{"imp.20131021.adv2821.limit1000.txt",
		"clk.20131021.adv2821.txt"} {
		evs, err := ipinyou.ReadFile(filepath.Join(dir, name))
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal(err)
			}
			t.Skipf("iPinYou data not found (set IPINYOU_DIR): %v", err)
		}
		all = append(all, evs...)
	}
	return all
}

// TestIPinYouReplay replays the iPinYou logs through the real aggregate function, then
// checks the reports against the pipeline's totals and the files themselves: the day
// report and its total equal the running totals, the hour rows sum to the day, unique
// users are within 2% of the exact count, and the ranking and both CSV exports say the
// same as the JSON report.
func TestIPinYouReplay(t *testing.T) {
	evs := ipinyouEvents(t)
	e := newEnv(t, time.Date(2013, 10, 23, 0, 0, 0, 0, time.UTC))
	cmp := e.newCampaign(t, "t_a", "iPinYou 2821", "CNY", "Asia/Shanghai")
	other := e.newCampaign(t, "t_a", "=cmd|' /C calc'!A0", "CNY", "Asia/Shanghai")
	people := map[string]bool{}
	for i := range evs {
		evs[i].CampaignID = cmp.ID
		if evs[i].Type == event.Impression {
			people[string(aggregate.Person(&evs[i]))] = true
		}
	}
	e.send(t, "t_a", evs)
	at := time.Date(2013, 10, 21, 9, 30, 0, 0, time.UTC)
	e.send(t, "t_a", []event.Event{
		{EventID: "o1", Type: event.Impression, CampaignID: other.ID, AdID: "ad-1",
			UserID: "x", OccurredAt: at, CostMicros: 5_000_000, Currency: "CNY"},
		{EventID: "o2", Type: event.Click, CampaignID: other.ID, AdID: "ad-1", UserID: "x",
			OccurredAt: at},
	})
	pipeline, err := e.reader.Campaign(context.Background(), "t_a", cmp.ID)
	if err != nil {
		t.Fatal(err)
	}

	// The day report and its total equal the pipeline's totals (and the data's README).
	path := "/v1/campaigns/" + cmp.ID + "/reports"
	day := getJSON[report.CampaignReport](t, e, request{who: analystA, path: path,
		query: map[string]string{"start": "2013-10-21", "end": "2013-10-22"}})
	if len(day.Rows) != 1 || day.Timezone != "Asia/Shanghai" {
		t.Fatalf("day report: %d rows in %s", len(day.Rows), day.Timezone)
	}
	for _, m := range []report.Metrics{day.Rows[0].Metrics, day.Total.Metrics} {
		if m.Impressions != pipeline.Totals.Impressions || m.Clicks != pipeline.Totals.Clicks ||
			m.SpendMicros != pipeline.Totals.Spend["CNY"] || m.Impressions != 9_960 ||
			m.Clicks != 433 || m.SpendMicros != 8_734_340 {
			t.Errorf("day: got %d imps %d clicks %d micros, pipeline %+v", m.Impressions,
				m.Clicks, m.SpendMicros, pipeline.Totals)
		}
	}
	if day.Reads.Buckets["hour"] != 24 || day.Reads.Queries != 2 {
		t.Errorf("day report read %+v, want 24 hour buckets in 2 queries", day.Reads)
	}

	// Hour rows sum to the day.
	hours := getJSON[report.CampaignReport](t, e, request{who: analystA, path: path,
		query: map[string]string{"start": "2013-10-21", "end": "2013-10-22",
			"granularity": "hour"}})
	var imps, clicks, spend int64
	for _, r := range hours.Rows {
		imps, clicks, spend = imps+r.Impressions, clicks+r.Clicks, spend+r.SpendMicros
	}
	if len(hours.Rows) != 24 || imps != day.Total.Impressions ||
		clicks != day.Total.Clicks || spend != day.Total.SpendMicros {
		t.Errorf("hours: %d rows summing to %d/%d/%d, day %d/%d/%d", len(hours.Rows), imps,
			clicks, spend, day.Total.Impressions, day.Total.Clicks, day.Total.SpendMicros)
	}

	// Unique users are within 2% of the exact count from the files.
	got, exact := float64(*day.Total.UniqueUsers), float64(len(people))
	if math.Abs(got-exact)/exact > 0.02 || *day.Total.UniqueUsersStdError <= 0 {
		t.Errorf("unique users: got %v, exact %v", got, exact)
	}

	// The CSV exports say what the JSON says, row for row.
	for _, rep := range []report.CampaignReport{day, hours} {
		recs := getCSV(t, e, request{who: analystA, path: path,
			query: map[string]string{"start": "2013-10-21", "end": "2013-10-22",
				"granularity": string(rep.Granularity)},
			headers: map[string]string{"Accept": "text/csv"}})
		if len(recs) != len(rep.Rows)+1 || recs[len(recs)-1]["kind"] != "total" {
			t.Fatalf("%s CSV: %d records for %d rows", rep.Granularity, len(recs),
				len(rep.Rows))
		}
		for i, row := range append(rep.Rows, rep.Total) {
			if recs[i]["start"] != row.Start.Format(time.RFC3339) {
				t.Errorf("CSV row %d starts %s, JSON %s", i, recs[i]["start"], row.Start)
			}
			sameMetrics(t, string(rep.Granularity)+" CSV row", recs[i], row.Metrics, "CNY")
		}
	}

	// The ranking says what each campaign's total report says.
	top := request{who: analystA, path: "/v1/reports/campaigns", query: map[string]string{
		"start": "2013-10-21", "end": "2013-10-22", "tz": "Asia/Shanghai", "sort": "-ctr"}}
	rk := getJSON[report.Ranking](t, e, top)
	if len(rk.Items) != 2 || rk.Items[0].CampaignID != other.ID ||
		rk.Reads.Buckets["hour"] != 24 {
		t.Fatalf("ranking: %+v", rk)
	}
	for _, it := range rk.Items {
		tot := getJSON[report.CampaignReport](t, e, request{who: analystA,
			path: "/v1/campaigns/" + it.CampaignID + "/reports", query: map[string]string{
				"start": "2013-10-21", "end": "2013-10-22", "granularity": "total"}})
		want, _ := json.Marshal(tot.Total.Metrics)
		got, _ := json.Marshal(it.Metrics)
		if string(got) != string(want) {
			t.Errorf("ranking row %s:\n got  %s\n want %s", it.CampaignID, got, want)
		}
		if it.Pacing == nil || it.Pacing.SpendMicros != tot.Total.SpendMicros {
			t.Errorf("pacing of %s: %+v", it.CampaignID, it.Pacing)
		}
	}
	top.query["format"] = "csv"
	recs := getCSV(t, e, top)
	for i, it := range rk.Items {
		sameMetrics(t, "ranking CSV", recs[i], it.Metrics, "CNY")
		if recs[i]["campaign_id"] != it.CampaignID || recs[i]["pacing"] != string(it.Pacing.Status) {
			t.Errorf("ranking CSV row %d: %v", i, recs[i])
		}
	}
	if recs[0]["name"] != "'"+other.Name {
		t.Errorf("formula name not neutralised: %q", recs[0]["name"])
	}

	// The status filter joins the Campaigns table: no campaign is paused.
	top.query["status"], top.query["format"] = "paused", "json"
	if rk := getJSON[report.Ranking](t, e, top); len(rk.Items) != 0 || rk.Matched != 0 {
		t.Errorf("paused ranking: %+v", rk.Items)
	}
}

// TestDSTDaysAndHalfHourZones writes one impression at every UTC hour around the change
// days, and two at half past in Kolkata's offset, and reads the days back in the zones.
func TestDSTDaysAndHalfHourZones(t *testing.T) {
	e := newEnv(t, time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC))
	cmp := e.newCampaign(t, "t_a", "Clock changes", "EUR", "Europe/Berlin")
	var evs []event.Event
	add := func(at time.Time) {
		evs = append(evs, event.Event{EventID: "e" + at.Format("0601021504"),
			Type: event.Impression, CampaignID: cmp.ID, AdID: "ad-1", UserID: at.Format("u15"),
			OccurredAt: at, CostMicros: 1_000, Currency: "EUR"})
	}
	for _, span := range [][2]string{{"2026-03-07T00:00:00Z", "2026-03-10T00:00:00Z"},
		{"2026-03-28T00:00:00Z", "2026-03-31T00:00:00Z"},
		{"2026-10-24T00:00:00Z", "2026-10-27T00:00:00Z"},
		{"2026-10-31T00:00:00Z", "2026-11-03T00:00:00Z"}} {
		from, _ := time.Parse(time.RFC3339, span[0])
		to, _ := time.Parse(time.RFC3339, span[1])
		for at := from; at.Before(to); at = at.Add(time.Hour) {
			add(at)
		}
	}
	add(time.Date(2026, 10, 31, 18, 15, 0, 0, time.UTC)) // 23:45 on Oct 31 in Kolkata
	add(time.Date(2026, 10, 31, 18, 45, 0, 0, time.UTC)) // 00:15 on Nov 1 in Kolkata
	e.send(t, "t_a", evs)

	path := "/v1/campaigns/" + cmp.ID + "/reports"
	cases := []struct {
		name, tz, date, gran string
		rows                 int
		impressions          int64
		minuteBuckets        int
	}{
		{"Berlin spring forward", "", "2026-03-29", "hour", 23, 23, 0},
		{"Berlin fall back", "", "2026-10-25", "hour", 25, 25, 0},
		{"Berlin fall back day", "Europe/Berlin", "2026-10-25", "day", 1, 25, 0},
		{"Los Angeles spring forward", "America/Los_Angeles", "2026-03-08", "hour", 23, 23, 0},
		{"Los Angeles fall back", "America/Los_Angeles", "2026-11-01", "day", 1, 25, 0},
		{"Kolkata +05:30", "Asia/Kolkata", "2026-11-01", "day", 1, 25, 60},
		{"UTC", "UTC", "2026-11-01", "day", 1, 24, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, _ := time.Parse(time.DateOnly, tc.date)
			q := map[string]string{"start": tc.date,
				"end": d.AddDate(0, 0, 1).Format(time.DateOnly), "granularity": tc.gran}
			if tc.tz != "" {
				q["tz"] = tc.tz
			}
			rep := getJSON[report.CampaignReport](t, e, request{who: analystA, path: path,
				query: q})
			if len(rep.Rows) != tc.rows || rep.Total.Impressions != tc.impressions ||
				rep.Reads.Buckets["minute"] != tc.minuteBuckets {
				t.Errorf("got %d rows, %d impressions, reads %+v; want %d, %d, %d minutes",
					len(rep.Rows), rep.Total.Impressions, rep.Reads, tc.rows, tc.impressions,
					tc.minuteBuckets)
			}
			if tc.gran == "hour" {
				for i, r := range rep.Rows {
					if r.Impressions != 1 || r.End.Sub(r.Start) != time.Hour {
						t.Errorf("hour row %d: %+v", i, r)
					}
				}
			}
		})
	}
}

// TestBadRequestsAndAccess covers the refusals and the tenant boundary.
func TestBadRequestsAndAccess(t *testing.T) {
	e := newEnv(t, time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC))
	cmp := e.newCampaign(t, "t_a", "Mine", "EUR", "Europe/Berlin")
	path := "/v1/campaigns/" + cmp.ID + "/reports"
	ok := map[string]string{"start": "2026-10-01", "end": "2026-10-02"}
	cases := []struct {
		name   string
		r      request
		status int
		field  string // the first failing field of a 400, and a word of its reason
		reason string
	}{
		{"analyst reads", request{who: analystA, path: path, query: ok}, 200, "", ""},
		{"another tenant's campaign", request{who: adminB, path: path, query: ok}, 404, "",
			""},
		{"no such campaign", request{who: analystA,
			path: "/v1/campaigns/cmp_01JQ5M8Y1W3V6TQ0H2X9ZK7B4C/reports", query: ok}, 404, "",
			""},
		{"malformed id", request{who: analystA, path: "/v1/campaigns/x/reports", query: ok},
			404, "", ""},
		{"end before start", request{who: analystA, path: path, query: map[string]string{
			"start": "2026-10-02", "end": "2026-10-01"}}, 400, "end", "after start"},
		{"minute span", request{who: analystA, path: path, query: map[string]string{
			"start": "2026-10-01", "end": "2026-10-03", "granularity": "minute"}}, 400, "end",
			"minute ≤ 1 day"},
		{"unknown zone", request{who: analystA, path: path, query: map[string]string{
			"start": "2026-10-01", "end": "2026-10-02", "tz": "Europe/Atlantis"}}, 400, "tz",
			"IANA"},
		{"unparseable", request{who: analystA, path: path, query: map[string]string{
			"start": "01/10/2026", "end": "2026-10-02"}}, 400, "start", "RFC 3339"},
		{"expired minutes", request{who: analystA, path: path, query: map[string]string{
			"start": "2026-08-01", "end": "2026-08-02", "tz": "Asia/Kolkata"}}, 400, "start",
			"35 days"},
		{"unknown parameter", request{who: analystA, path: path, query: map[string]string{
			"start": "2026-10-01", "end": "2026-10-02", "from": "x"}}, 400, "from", ""},
		{"bad format", request{who: analystA, path: path, query: map[string]string{
			"start": "2026-10-01", "end": "2026-10-02", "format": "xml"}}, 400, "format", ""},
		{"ranking in Kolkata dates", request{who: analystA, path: "/v1/reports/campaigns",
			query: map[string]string{"start": "2026-10-01", "end": "2026-10-02",
				"tz": "Asia/Kolkata"}}, 400, "start", "whole UTC hours"},
		{"ranking bad sort", request{who: analystA, path: "/v1/reports/campaigns",
			query: map[string]string{"start": "2026-10-01", "end": "2026-10-02",
				"sort": "name"}}, 400, "sort", "spend"},
		{"POST", request{who: analystA, method: "POST", path: path}, 405, "", ""},
		{"no authorizer context", request{path: path, query: ok}, 500, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := e.do(t, tc.r)
			if out.StatusCode != tc.status {
				t.Fatalf("got %d %s, want %d", out.StatusCode, out.Body, tc.status)
			}
			if tc.field == "" {
				return
			}
			var p struct {
				Error struct {
					Fields []report.FieldError `json:"fields"`
				} `json:"error"`
			}
			if err := json.Unmarshal([]byte(out.Body), &p); err != nil ||
				len(p.Error.Fields) == 0 {
				t.Fatalf("problem body: %s", out.Body)
			}
			f := p.Error.Fields[0]
			if f.Field != tc.field || !strings.Contains(f.Reason, tc.reason) {
				t.Errorf("got %s %q, want %s ...%s...", f.Field, f.Reason, tc.field, tc.reason)
			}
		})
	}

	// Another tenant's ranking never shows A's campaigns.
	rk := getJSON[report.Ranking](t, e, request{who: adminB, path: "/v1/reports/campaigns",
		query: ok})
	if len(rk.Items) != 0 || rk.Matched != 0 {
		t.Errorf("tenant B sees %+v", rk.Items)
	}
	_ = totals.Hour
}
