package report

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/adpulse/adpulse/shared/totals"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// counts tallies buckets by grain, e.g. "hour=23".
func counts(buckets []Bucket) map[totals.Grain]int {
	out := map[totals.Grain]int{}
	for _, b := range buckets {
		out[b.Grain]++
	}
	return out
}

func TestNewPlan(t *testing.T) {
	now := time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)
	type grains = map[totals.Grain]int
	cases := []struct {
		name       string
		start, end string
		tz         string
		gran       Granularity
		rows       int
		hours      []float64 // length of each row in hours, when checked
		firstRow   grains    // buckets of the first row
		allBuckets grains    // buckets of every row together
	}{
		{name: "UTC days are day buckets", start: "2026-03-01", end: "2026-03-04", tz: "UTC",
			gran: ByDay, rows: 3, firstRow: grains{totals.Day: 1},
			allBuckets: grains{totals.Day: 3}},
		{name: "UTC total: hours, days, months, days", start: "2026-01-15T10:00:00Z",
			end: "2026-04-03T00:00:00Z", tz: "UTC", gran: ByTotal, rows: 1,
			allBuckets: grains{totals.Hour: 14, totals.Day: 18, totals.Month: 2}},
		{name: "Los Angeles spring forward: 23-hour day", start: "2026-03-08",
			end: "2026-03-09", tz: "America/Los_Angeles", gran: ByDay, rows: 1,
			hours: []float64{23}, allBuckets: grains{totals.Hour: 23}},
		{name: "Los Angeles fall back: 25-hour day", start: "2026-11-01", end: "2026-11-02",
			tz: "America/Los_Angeles", gran: ByDay, rows: 1, hours: []float64{25},
			allBuckets: grains{totals.Hour: 25}},
		{name: "Los Angeles spring forward by hour: 23 rows", start: "2026-03-08",
			end: "2026-03-09", tz: "America/Los_Angeles", gran: ByHour, rows: 23,
			firstRow: grains{totals.Hour: 1}, allBuckets: grains{totals.Hour: 23}},
		{name: "Berlin spring forward: 23-hour day", start: "2026-03-29", end: "2026-03-30",
			tz: "Europe/Berlin", gran: ByDay, rows: 1, hours: []float64{23},
			allBuckets: grains{totals.Hour: 23}},
		{name: "Berlin fall back: 25-hour day", start: "2026-10-25", end: "2026-10-26",
			tz: "Europe/Berlin", gran: ByDay, rows: 1, hours: []float64{25},
			allBuckets: grains{totals.Hour: 25}},
		{name: "Berlin fall back by hour: 25 rows", start: "2026-10-25", end: "2026-10-26",
			tz: "Europe/Berlin", gran: ByHour, rows: 25, allBuckets: grains{totals.Hour: 25}},
		{name: "Berlin days around fall back", start: "2026-10-24", end: "2026-10-27",
			tz: "Europe/Berlin", gran: ByDay, rows: 3, hours: []float64{24, 25, 24}},
		{name: "Kolkata +05:30 day: half hours from minutes", start: "2026-11-01",
			end: "2026-11-02", tz: "Asia/Kolkata", gran: ByDay, rows: 1, hours: []float64{24},
			allBuckets: grains{totals.Minute: 60, totals.Hour: 23}},
		{name: "Kolkata +05:30 hours are two half hours", start: "2026-11-01",
			end: "2026-11-01T03:00:00+05:30", tz: "Asia/Kolkata", gran: ByHour, rows: 3,
			firstRow: grains{totals.Minute: 60}},
		{name: "Kathmandu +05:45 total", start: "2026-11-01", end: "2026-11-03",
			tz: "Asia/Kathmandu", gran: ByTotal, rows: 1,
			allBuckets: grains{totals.Minute: 60, totals.Hour: 23, totals.Day: 1}},
		{name: "minutes", start: "2026-11-09T10:58:00Z", end: "2026-11-09T11:02:00Z",
			tz: "UTC", gran: ByMinute, rows: 4, allBuckets: grains{totals.Minute: 4}},
		{name: "partial first day row", start: "2026-03-01T20:00:00Z", end: "2026-03-03",
			tz: "UTC", gran: ByDay, rows: 2, hours: []float64{4, 24},
			firstRow: grains{totals.Hour: 4}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseRange(RangeParams{Start: tc.start, End: tc.end, TZ: tc.tz,
				Granularity: string(tc.gran)}, nil, ByDay)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			p, err := NewPlan(r, now)
			if err != nil {
				t.Fatalf("plan: %v", err)
			}
			if len(p.Rows) != tc.rows {
				t.Fatalf("rows: got %d, want %d", len(p.Rows), tc.rows)
			}
			var all []Bucket
			for i, row := range p.Rows {
				checkTiles(t, row)
				all = append(all, row.Buckets...)
				if tc.hours != nil {
					if got := row.End.Sub(row.Start).Hours(); got != tc.hours[i] {
						t.Errorf("row %d: %v hours, want %v", i, got, tc.hours[i])
					}
				}
			}
			if tc.firstRow != nil && !sameCounts(counts(p.Rows[0].Buckets), tc.firstRow) {
				t.Errorf("first row buckets: got %v, want %v", counts(p.Rows[0].Buckets),
					tc.firstRow)
			}
			if tc.allBuckets != nil && !sameCounts(counts(all), tc.allBuckets) {
				t.Errorf("buckets: got %v, want %v", counts(all), tc.allBuckets)
			}
		})
	}
}

// checkTiles fails unless the row's buckets follow each other from its start to its end.
func checkTiles(t *testing.T, row PlannedRow) {
	t.Helper()
	pos := row.Start
	for _, b := range row.Buckets {
		if !b.Start.Equal(pos) {
			t.Fatalf("bucket %v %v does not start at %v", b.Grain, b.Start, pos)
		}
		pos = b.End()
	}
	if !pos.Equal(row.End) {
		t.Fatalf("buckets end at %v, row at %v", pos, row.End)
	}
}

func sameCounts(a, b map[totals.Grain]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestNewPlanRefusesExpiredMinutes(t *testing.T) {
	now := time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name, start, end, tz string
		gran                 Granularity
		wantErr              bool
	}{
		{"Kolkata day 40 days ago", "2026-10-01", "2026-10-02", "Asia/Kolkata", ByDay, true},
		{"Kolkata day 10 days ago", "2026-10-31", "2026-11-01", "Asia/Kolkata", ByDay, false},
		{"UTC day a year ago", "2025-10-01", "2025-10-02", "UTC", ByDay, false},
		{"minutes 36 days ago", "2026-10-05T00:00:00Z", "2026-10-05T01:00:00Z", "UTC",
			ByMinute, true},
		{"Berlin days long ago need no minutes", "2025-03-01", "2025-06-01",
			"Europe/Berlin", ByDay, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseRange(RangeParams{Start: tc.start, End: tc.end, TZ: tc.tz,
				Granularity: string(tc.gran)}, nil, ByDay)
			if err != nil {
				t.Fatal(err)
			}
			_, err = NewPlan(r, now)
			var ie *InputError
			if tc.wantErr != errors.As(err, &ie) {
				t.Fatalf("got %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr && !strings.Contains(err.Error(), "kept 35 days") {
				t.Errorf("message does not say minutes are kept 35 days: %v", err)
			}
		})
	}
}

func TestParseRange(t *testing.T) {
	cases := []struct {
		name                 string
		p                    RangeParams
		wantField, wantStart string // wantStart in RFC 3339, UTC
		wantReason           string
	}{
		{name: "date is local midnight", p: RangeParams{Start: "2026-03-29",
			End: "2026-03-30", TZ: "Europe/Berlin"}, wantStart: "2026-03-28T23:00:00Z"},
		{name: "default zone", p: RangeParams{Start: "2026-03-29", End: "2026-03-30"},
			wantStart: "2026-03-29T07:00:00Z"},
		{name: "RFC 3339 with offset", p: RangeParams{Start: "2026-03-01T10:00:00+02:00",
			End: "2026-03-02T00:00:00Z"}, wantStart: "2026-03-01T08:00:00Z"},
		{name: "end before start", p: RangeParams{Start: "2026-03-02", End: "2026-03-01"},
			wantField: "end", wantReason: "must be after start"},
		{name: "minute over a day", p: RangeParams{Start: "2026-03-01",
			End: "2026-03-02T00:01:00-08:00", Granularity: "minute"}, wantField: "end",
			wantReason: "minute ≤ 1 day"},
		{name: "25-hour minute report is one day", p: RangeParams{Start: "2026-11-01",
			End: "2026-11-02", Granularity: "minute"},
			wantStart: "2026-11-01T07:00:00Z"},
		{name: "hour over 31 days", p: RangeParams{Start: "2026-01-01", End: "2026-02-02",
			Granularity: "hour"}, wantField: "end", wantReason: "at most 31 days"},
		{name: "day over 400 days", p: RangeParams{Start: "2025-01-01", End: "2026-02-06",
			Granularity: "day"}, wantField: "end", wantReason: "at most 400 days"},
		{name: "unknown zone", p: RangeParams{Start: "2026-01-01", End: "2026-01-02",
			TZ: "Mars/Olympus"}, wantField: "tz", wantReason: "IANA"},
		{name: "unparseable", p: RangeParams{Start: "yesterday", End: "2026-01-02"},
			wantField: "start", wantReason: "RFC 3339"},
		{name: "seconds", p: RangeParams{Start: "2026-01-01T00:00:30Z", End: "2026-01-02"},
			wantField: "start", wantReason: "whole minute"},
		{name: "missing", p: RangeParams{End: "2026-01-02"}, wantField: "start",
			wantReason: "is required"},
		{name: "bad granularity", p: RangeParams{Start: "2026-01-01", End: "2026-01-02",
			Granularity: "week"}, wantField: "granularity", wantReason: "minute, hour"},
	}
	la := zone(t, "America/Los_Angeles")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseRange(tc.p, la, ByDay)
			if tc.wantField == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := r.Start.UTC().Format(time.RFC3339); got != tc.wantStart {
					t.Errorf("start: got %s, want %s", got, tc.wantStart)
				}
				return
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("got %v, want an InputError", err)
			}
			f := ie.Fields[0]
			if f.Field != tc.wantField || !strings.Contains(f.Reason, tc.wantReason) {
				t.Errorf("got %s %q, want %s ...%s...", f.Field, f.Reason, tc.wantField,
					tc.wantReason)
			}
		})
	}
}

func TestGrainRuns(t *testing.T) {
	h := func(day, hour int) Bucket {
		return Bucket{Grain: totals.Hour, Start: time.Date(2026, 3, day, hour, 0, 0, 0,
			time.UTC)}
	}
	m := func(day, hour, min int) Bucket {
		return Bucket{Grain: totals.Minute, Start: time.Date(2026, 3, day, hour, min, 0, 0,
			time.UTC)}
	}
	runs := grainRuns([]Bucket{h(1, 1), h(1, 2), h(1, 20), h(5, 0), m(1, 0, 0), m(1, 0, 1),
		m(2, 0, 0), h(1, 2)})
	want := []Run{
		{totals.Minute, m(1, 0, 0).Start, m(1, 0, 2).Start},
		{totals.Minute, m(2, 0, 0).Start, m(2, 0, 1).Start},
		{totals.Hour, h(1, 1).Start, h(1, 21).Start},
		{totals.Hour, h(5, 0).Start, h(5, 1).Start},
	}
	if len(runs) != len(want) {
		t.Fatalf("got %d runs %v, want %v", len(runs), runs, want)
	}
	for i := range want {
		if runs[i].Grain != want[i].Grain || !runs[i].From.Equal(want[i].From) ||
			!runs[i].To.Equal(want[i].To) {
			t.Errorf("run %d: got %v, want %v", i, runs[i], want[i])
		}
	}
}
