package traffic_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/adpulse/adpulse/shared/event"
	"github.com/adpulse/adpulse/shared/traffic"
)

var testEnd = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

func generate(t *testing.T, opts traffic.Options) traffic.Traffic {
	t.Helper()
	if opts.End.IsZero() {
		opts.End = testEnd
	}
	tr, err := traffic.Generate(opts)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return tr
}

func TestGenerateIsDeterministic(t *testing.T) {
	base := traffic.Options{Tenant: "t_demo", Count: 5000, Seed: 7}
	a := generate(t, base)
	tests := []struct {
		name string
		opts traffic.Options
		same bool
	}{
		{"same seed and tenant", base, true},
		{"other seed", traffic.Options{Tenant: "t_demo", Count: 5000, Seed: 8}, false},
		{"other tenant", traffic.Options{Tenant: "t_other", Count: 5000, Seed: 7}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := generate(t, tc.opts)
			if got := reflect.DeepEqual(a, b); got != tc.same {
				t.Errorf("got equal %v, want %v", got, tc.same)
			}
		})
	}
}

// dedup recounts a run by event id, the way the pipeline must.
func dedup(t *testing.T, tr traffic.Traffic) (map[string]traffic.Totals, int) {
	t.Helper()
	got := make(map[string]traffic.Totals)
	first := make(map[string]event.Event)
	for _, e := range tr.Events {
		if prev, ok := first[e.EventID]; ok {
			if !reflect.DeepEqual(prev, e) {
				t.Fatalf("duplicate %s differs from the first delivery", e.EventID)
			}
			continue
		}
		first[e.EventID] = e
		c := got[e.CampaignID]
		switch e.Type {
		case event.Impression:
			c.Impressions++
		case event.Click:
			c.Clicks++
		case event.Conversion:
			c.Conversions++
		}
		c.SpendMicros += e.CostMicros
		c.ValueMicros += e.ValueMicros
		if e.Currency != "" {
			if c.Currency != "" && c.Currency != e.Currency {
				t.Fatalf("campaign %s mixes %s and %s", e.CampaignID, c.Currency, e.Currency)
			}
			c.Currency = e.Currency
		}
		got[e.CampaignID] = c
	}
	return got, len(first)
}

func TestExpectedTotals(t *testing.T) {
	tr := generate(t, traffic.Options{Tenant: "t_demo", Count: 20_000, Seed: 1, Campaigns: 6})
	got, distinct := dedup(t, tr)

	if !reflect.DeepEqual(got, tr.Expected) {
		t.Errorf("recounted totals\n got  %+v\n want %+v", got, tr.Expected)
	}
	if len(tr.Expected) != 6 {
		t.Errorf("got %d campaigns, want 6", len(tr.Expected))
	}
	var impressions int64
	for _, c := range tr.Expected {
		impressions += c.Impressions
	}
	counts := []struct {
		name      string
		got, want int
	}{
		{"impressions", int(impressions), 20_000},
		{"distinct", distinct, tr.Distinct},
		{"duplicates", len(tr.Events) - distinct, tr.Duplicates},
	}
	for _, c := range counts {
		if c.got != c.want {
			t.Errorf("%s: got %d, want %d", c.name, c.got, c.want)
		}
	}
}

func TestDuplicateRate(t *testing.T) {
	tr := generate(t, traffic.Options{Tenant: "t_demo", Count: 50_000, Seed: 3})
	rate := float64(tr.Duplicates) / float64(tr.Distinct)
	if rate < 0.002 || rate > 0.006 {
		t.Errorf("got duplicate rate %.4f (%d of %d), want about %.3f", rate, tr.Duplicates,
			tr.Distinct, traffic.DuplicateRate)
	}
}

func TestRatesByChannel(t *testing.T) {
	tr := generate(t, traffic.Options{Tenant: "t_demo", Count: 200_000, Seed: 5,
		Campaigns: 8, Start: testEnd.Add(-7 * 24 * time.Hour)})
	type rates struct{ imps, clicks, convs float64 }
	byChannel := make(map[event.Channel]*rates)
	seen := make(map[string]bool)
	for _, e := range tr.Events {
		if seen[e.EventID] {
			continue
		}
		seen[e.EventID] = true
		r := byChannel[e.Channel]
		if r == nil {
			r = &rates{}
			byChannel[e.Channel] = r
		}
		switch e.Type {
		case event.Impression:
			r.imps++
		case event.Click:
			r.clicks++
		case event.Conversion:
			r.convs++
		}
	}

	bands := map[event.Channel][2]float64{
		event.Display: {0.0007, 0.0035}, event.Video: {0.004, 0.012},
		event.Social: {0.006, 0.014}, event.Search: {0.012, 0.023},
	}
	for ch, band := range bands {
		r := byChannel[ch]
		if r == nil {
			t.Errorf("%s: no events", ch)
			continue
		}
		if ctr := r.clicks / r.imps; ctr < band[0] || ctr > band[1] {
			t.Errorf("%s: got CTR %.4f, want %.4f to %.4f", ch, ctr, band[0], band[1])
		}
		if cvr := r.convs / r.clicks; cvr < 0.003 || cvr > 0.08 {
			t.Errorf("%s: got CVR %.4f, want about 0.01 to 0.05", ch, cvr)
		}
	}
}

func TestEventsAreValidAndInWindow(t *testing.T) {
	start := testEnd.Add(-2 * time.Hour)
	tr := generate(t, traffic.Options{Tenant: "t_demo", Count: 20_000, Seed: 9, Start: start})
	users, devices := make(map[string]int), make(map[string]map[string]bool)
	for _, e := range tr.Events {
		if err := e.Validate(testEnd); err != nil {
			t.Fatalf("%s: %v", e.EventID, err)
		}
		if e.OccurredAt.Before(start) || e.OccurredAt.After(testEnd) {
			t.Fatalf("%s at %s is outside the window", e.EventID, e.OccurredAt)
		}
		if e.UserID != "" && e.Type == event.Impression {
			users[e.UserID]++
			if devices[e.UserID] == nil {
				devices[e.UserID] = make(map[string]bool)
			}
			devices[e.UserID][e.DeviceID] = true
		}
	}

	// Zipf: the busiest user sees many more impressions than the typical one.
	most, multi := 0, 0
	for u, n := range users {
		most = max(most, n)
		if len(devices[u]) > 1 {
			multi++
		}
	}
	if most < 50 {
		t.Errorf("got busiest user with %d impressions, want a skewed distribution", most)
	}
	if multi == 0 {
		t.Error("got no user on several devices")
	}
}

func TestSpendIsRealistic(t *testing.T) {
	tr := generate(t, traffic.Options{Tenant: "t_demo", Count: 50_000, Seed: 11})
	for id, c := range tr.Expected {
		if c.Currency != "USD" && c.Currency != "EUR" {
			t.Errorf("%s: got currency %q, want USD or EUR", id, c.Currency)
		}
		perMille := float64(c.SpendMicros) / float64(c.Impressions) // micros per 1/1000
		if cpm := perMille / 1000; cpm < 0.5 || cpm > 40 {
			t.Errorf("%s: got effective CPM %.2f, want 0.5 to 40", id, cpm)
		}
		if c.Conversions > 0 && c.ValueMicros/c.Conversions < 5_000_000 {
			t.Errorf("%s: got average order value %d micros, want realistic", id,
				c.ValueMicros/c.Conversions)
		}
	}
}

func TestGenerateOptionErrors(t *testing.T) {
	future := time.Now().Add(time.Hour)
	tests := []struct {
		name string
		opts traffic.Options
		want string
	}{
		{"no tenant", traffic.Options{}, "tenant is required"},
		{"negative count", traffic.Options{Tenant: "t", Count: -1}, "negative"},
		{"too many campaigns", traffic.Options{Tenant: "t", Campaigns: 1000}, "campaigns"},
		{"end in future", traffic.Options{Tenant: "t", End: future}, "future"},
		{"start after end", traffic.Options{Tenant: "t", Start: testEnd, End: testEnd},
			"not before"},
		{"start too old", traffic.Options{Tenant: "t", Start: time.Date(1999, 1, 1, 0, 0, 0, 0,
			time.UTC), End: testEnd}, "before 2000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := traffic.Generate(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestGenerateDefaults(t *testing.T) {
	before := time.Now()
	tr, err := traffic.Generate(traffic.Options{Tenant: "t_demo", Seed: 1})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if got := len(tr.Expected); got != traffic.DefaultCampaigns {
		t.Errorf("got %d campaigns, want %d", got, traffic.DefaultCampaigns)
	}
	var imps int64
	for _, c := range tr.Expected {
		imps += c.Impressions
	}
	if imps != traffic.DefaultCount {
		t.Errorf("got %d impressions, want %d", imps, traffic.DefaultCount)
	}
	oldest := before.Add(-traffic.DefaultWindow - time.Second)
	for _, e := range tr.Events {
		if e.OccurredAt.Before(oldest) || e.OccurredAt.After(time.Now()) {
			t.Fatalf("%s at %s is outside the default window", e.EventID, e.OccurredAt)
		}
	}
}
