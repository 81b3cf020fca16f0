package features_test

import (
	"bytes"
	"encoding/csv"
	"math"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/adpulse/adpulse/shared/aggregate"
	"github.com/adpulse/adpulse/shared/event"
)

// metrics are the report columns the test compares.
type metrics struct {
	Start       string   `json:"start"`
	End         string   `json:"end"`
	CampaignID  string   `json:"campaign_id"`
	Impressions int64    `json:"impressions"`
	Clicks      int64    `json:"clicks"`
	Conversions int64    `json:"conversions"`
	Spend       int64    `json:"spend_micros"`
	UniqueUsers *float64 `json:"unique_users"`
}

// counts is what must add up across rows.
func (m metrics) counts() [4]int64 {
	return [4]int64{m.Impressions, m.Clicks, m.Conversions, m.Spend}
}

// campaignReport is the JSON of GET /v1/campaigns/{id}/reports.
type campaignReport struct {
	CampaignID string    `json:"campaign_id"`
	Currency   string    `json:"currency"`
	Rows       []metrics `json:"rows"`
	Total      metrics   `json:"total"`
}

// reportRange is October 2013, around the iPinYou sample (2013-10-21).
const reportRange = "start=2013-10-01&end=2013-11-01&tz=UTC"

// reportsAgree reads the replayed campaign's reports through the API as its admin:
// the day report and its total agree with the pipeline's totals, hour rows sum to
// their day, unique users are within 2% of the exact count from the files, and the
// top-campaigns ranking and the CSV say what the JSON says.
func reportsAgree(t *testing.T, e *env) {
	r := e.ipinyou
	if r == nil {
		t.Skip("needs the iPinYou replay of the alert step")
	}
	path := "/v1/campaigns/" + r.campaign + "/reports?" + reportRange
	get := func(query string, v any) reply {
		t.Helper()
		out := e.c.do(t, "GET", path+query, nil, bearer(r.token)...).
			want(t, "report "+query, http.StatusOK)
		if v != nil {
			out.decode(t, v)
		}
		return out
	}

	// Day rows and the total against the pipeline.
	var day campaignReport
	get("&granularity=day", &day)
	want := [4]int64{r.totals.Impressions, r.totals.Clicks, r.totals.Conversions,
		r.totals.Spend["CNY"]}
	if day.Total.counts() != want || day.Currency != "CNY" || len(day.Rows) != 31 {
		t.Fatalf("day report: total %v %s, %d rows; pipeline %v", day.Total.counts(),
			day.Currency, len(day.Rows), want)
	}
	var sum [4]int64
	for _, row := range day.Rows {
		for i, v := range row.counts() {
			sum[i] += v
		}
	}
	if sum != want {
		t.Errorf("day rows sum to %v, total %v", sum, want)
	}

	// Hour rows sum to their day.
	var hour campaignReport
	get("&granularity=hour", &hour)
	byDay := map[string][4]int64{}
	for _, row := range hour.Rows {
		s := byDay[row.Start[:10]]
		for i, v := range row.counts() {
			s[i] += v
		}
		byDay[row.Start[:10]] = s
	}
	for _, row := range day.Rows {
		if byDay[row.Start[:10]] != row.counts() {
			t.Errorf("%s: hours sum to %v, the day says %v", row.Start[:10],
				byDay[row.Start[:10]], row.counts())
		}
	}

	// Unique users against the exact count of the files.
	people := map[string]bool{}
	for i := range r.events {
		if r.events[i].Type == event.Impression {
			people[string(aggregate.Person(&r.events[i]))] = true
		}
	}
	if day.Total.UniqueUsers == nil {
		t.Fatal("total has no unique users")
	}
	uu := *day.Total.UniqueUsers
	if off := uu/float64(len(people)) - 1; math.Abs(off) > 0.02 {
		t.Errorf("unique users %.0f, exact %d (%.2f%% off)", uu, len(people), off*100)
	}
	t.Logf("total %v, unique users %.0f (exact %d)", want, uu, len(people))

	// The ranking lists the campaign with the same figures.
	var top struct {
		Items []metrics `json:"items"`
	}
	e.c.do(t, "GET", "/v1/reports/campaigns?"+reportRange+"&sort=-spend", nil,
		bearer(r.token)...).want(t, "top campaigns", http.StatusOK).decode(t, &top)
	if len(top.Items) != 1 || top.Items[0].CampaignID != r.campaign ||
		top.Items[0].counts() != want || top.Items[0].UniqueUsers == nil ||
		*top.Items[0].UniqueUsers != uu {
		t.Errorf("top campaigns: %+v, want %s with %v and %.0f people", top.Items,
			r.campaign, want, uu)
	}

	// The CSV says what the JSON says.
	raw := get("&granularity=day&format=csv", nil)
	if ct := raw.header.Get("Content-Type"); ct != "text/csv; charset=utf-8; header=present" {
		t.Errorf("CSV Content-Type %q", ct)
	}
	records, err := csv.NewReader(bytes.NewReader(raw.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != len(day.Rows)+2 {
		t.Fatalf("CSV has %d records, want a header, %d rows and a total", len(records),
			len(day.Rows))
	}
	col := map[string]int{}
	for i, name := range records[0] {
		col[name] = i
	}
	for i, rec := range records[1:] {
		jsonRow := day.Total
		if i < len(day.Rows) {
			jsonRow = day.Rows[i]
		}
		if got := csvCounts(t, rec, col); got != jsonRow.counts() {
			t.Errorf("CSV record %d (%s): %v, JSON %v", i+1, rec[col["kind"]], got,
				jsonRow.counts())
		}
		if start, _ := time.Parse(time.RFC3339, rec[col["start"]]); start.Format(
			"2006-01-02") != jsonRow.Start[:10] {
			t.Errorf("CSV record %d starts %s, JSON %s", i+1, rec[col["start"]], jsonRow.Start)
		}
	}
}

// csvCounts reads the counts of one CSV record; spend is a decimal of the currency.
func csvCounts(t *testing.T, rec []string, col map[string]int) [4]int64 {
	t.Helper()
	var out [4]int64
	for i, name := range []string{"impressions", "clicks", "conversions"} {
		n, err := strconv.ParseInt(rec[col[name]], 10, 64)
		if err != nil {
			t.Fatalf("CSV %s %q: %v", name, rec[col[name]], err)
		}
		out[i] = n
	}
	spend, err := strconv.ParseFloat(rec[col["spend"]], 64)
	if err != nil {
		t.Fatalf("CSV spend %q: %v", rec[col["spend"]], err)
	}
	out[3] = int64(math.Round(spend * 1e6))
	return out
}
