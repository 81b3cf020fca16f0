package capping_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/adpulse/adpulse/shared/capping"
)

// TestDayCapResetsAtLocalMidnight: a campaign in America/Los_Angeles with 1 per day;
// the cap resets at local midnight, not UTC midnight, on an ordinary day and on both DST
// change days of 2026 (8 March: 23 hours; 1 November: 25 hours).
func TestDayCapResetsAtLocalMidnight(t *testing.T) {
	la := mustLoad(t, "America/Los_Angeles")
	cfgs := capping.Static{tenant + "#c1": capping.NewConfig(capping.CampaignCaps{
		Caps: []capping.Cap{{Count: 1, Window: capping.Day}}}, nil, la)}
	ids := capping.Identifiers{DeviceID: "d-1"}
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		name                  string
		shown                 string // the impression
		blocked, free, resets string // last refused instant, first allowed one, resets_at
	}{
		{"ordinary day (PST, UTC-8)", "2026-03-06T18:00:00Z",
			"2026-03-07T07:59:59Z", "2026-03-07T08:00:00Z", "2026-03-07T08:00:00Z"},
		{"spring forward, 23 h day", "2026-03-08T09:30:00Z",
			"2026-03-09T06:59:59Z", "2026-03-09T07:00:00Z", "2026-03-09T07:00:00Z"},
		{"fall back, 25 h day", "2026-11-01T07:30:00Z",
			"2026-11-02T07:59:59Z", "2026-11-02T08:00:00Z", "2026-11-02T08:00:00Z"},
	}
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			r := newRig(t, be.store, cfgs)
			for _, tc := range cases {
				r.show(ids, "c1", "a1", utc(tc.shown))

				// UTC midnight after the impression changes nothing.
				shown := utc(tc.shown)
				utcMidnight := time.Date(shown.Year(), shown.Month(), shown.Day()+1, 0, 0, 0,
					0, time.UTC)
				if d := r.decide(ids, "c1", "a1", utcMidnight); d.Allowed {
					t.Errorf("%s: allowed at UTC midnight %s", tc.name, utcMidnight)
				}
				d := r.decide(ids, "c1", "a1", utc(tc.blocked))
				if d.Allowed || d.ResetsAt == nil || !d.ResetsAt.Equal(utc(tc.resets)) {
					t.Errorf("%s: at %s got allowed=%v resets_at=%v, want refused until %s",
						tc.name, tc.blocked, d.Allowed, d.ResetsAt, tc.resets)
				}
				if d := r.decide(ids, "c1", "a1", utc(tc.free)); !d.Allowed {
					t.Errorf("%s: refused at local midnight %s", tc.name, tc.free)
				}
			}
		})
	}
}

// TestDeviceLinkedThroughLogin: a device seen alone, then with a login id, is one
// person; its counts before the link still count, from any device of the person.
func TestDeviceLinkedThroughLogin(t *testing.T) {
	cfgs := capping.Static{tenant + "#c1": capping.NewConfig(capping.CampaignCaps{
		Caps: []capping.Cap{{Count: 3, Window: capping.Day}}}, nil, time.UTC)}
	at := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	phone := capping.Identifiers{DeviceID: "phone-1"}
	phoneIn := capping.Identifiers{DeviceID: "phone-1", LoginID: "alice"}
	laptopIn := capping.Identifiers{DeviceID: "laptop-1", LoginID: "alice"}
	laptop := capping.Identifiers{DeviceID: "laptop-1"}
	tablet := capping.Identifiers{DeviceID: "tablet-9"}

	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			r := newRig(t, be.store, cfgs)
			r.show(phone, "c1", "a1", at)                    // before any link: under the phone
			r.show(phoneIn, "c1", "a1", at.Add(time.Minute)) // links phone -> alice
			if d := r.decide(laptopIn, "c1", "a1", at.Add(2*time.Minute)); !d.Allowed ||
				*d.Remaining != 1 {
				t.Fatalf("laptop with login after 2 impressions: %+v, want allowed, 1 left", d)
			}
			r.show(laptopIn, "c1", "a1", at.Add(3*time.Minute)) // links laptop -> alice

			for _, tc := range []struct {
				name string
				ids  capping.Identifiers
				want bool
			}{
				{"phone alone", phone, false},
				{"laptop alone", laptop, false},
				{"laptop with login", laptopIn, false},
				{"login alone", capping.Identifiers{LoginID: "alice"}, false},
				{"another person's tablet", tablet, true},
			} {
				d := r.decide(tc.ids, "c1", "a1", at.Add(4*time.Minute))
				if d.Allowed != tc.want {
					t.Errorf("%s: allowed=%v, want %v (%+v)", tc.name, d.Allowed, tc.want, d)
				}
			}
		})
	}
}

// TestCountedExactlyOnce: a retried batch and a duplicate event id from another record
// leave the counters unchanged.
func TestCountedExactlyOnce(t *testing.T) {
	cfgs := capping.Static{tenant + "#c1": capping.NewConfig(capping.CampaignCaps{
		Caps: []capping.Cap{{Count: 10, Window: capping.Hour}, {Count: 10, Window: capping.Day}}},
		map[string][]capping.Cap{"a1": {{Count: 5, Window: capping.Lifetime}}}, time.UTC)}
	at := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	ids := capping.Identifiers{UserID: "u-1"}
	batch := []capping.Impression{
		{TenantID: tenant, EventID: "e1", Owner: "s0/100/0", Identifiers: ids,
			CampaignID: "c1", AdID: "a1", OccurredAt: at},
		{TenantID: tenant, EventID: "e2", Owner: "s0/100/1", Identifiers: ids,
			CampaignID: "c1", AdID: "a1", OccurredAt: at.Add(time.Second)},
		{TenantID: tenant, EventID: "e3", Owner: "s0/101/0", Identifiers: ids,
			CampaignID: "c1", AdID: "a2", OccurredAt: at.Add(2 * time.Second)},
	}
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			r := newRig(t, be.store, cfgs)
			ctx := context.Background()
			res, err := r.counter.Count(ctx, batch)
			if err != nil || res.Counted != 3 {
				t.Fatalf("first delivery: %+v, %v", res, err)
			}
			before := r.decide(ids, "c1", "a1", at.Add(time.Minute))

			// The same batch again (a retry or redelivery), then e2 from another record.
			res, err = r.counter.Count(ctx, batch)
			if err != nil || res.Counted != 0 || res.AlreadyCounted != 3 {
				t.Fatalf("redelivery: %+v, %v; want 3 already counted", res, err)
			}
			dup := batch[1]
			dup.Owner = "s1/900/4"
			res, err = r.counter.Count(ctx, []capping.Impression{dup})
			if err != nil || res.AlreadyCounted != 1 {
				t.Fatalf("duplicate from another record: %+v, %v", res, err)
			}

			after := r.decide(ids, "c1", "a1", at.Add(time.Minute))
			if *before.Remaining != *after.Remaining || *after.Remaining != 3 {
				t.Errorf("remaining before %d, after %d; want 3 both (lifetime 5, 2 shown)",
					*before.Remaining, *after.Remaining)
			}
			if after.Binding.Window != capping.Lifetime || after.Binding.Scope != "ad" {
				t.Errorf("binding %+v, want the ad's lifetime cap", after.Binding)
			}
		})
	}
}

// TestNoIdentifierPolicy: without an identifier, capped ads follow the campaign policy.
func TestNoIdentifierPolicy(t *testing.T) {
	cfgs := capping.Static{
		tenant + "#strict": capping.NewConfig(capping.CampaignCaps{
			Caps: []capping.Cap{{Count: 1, Window: capping.Day}}}, nil, time.UTC),
		tenant + "#lenient": capping.NewConfig(capping.CampaignCaps{
			Caps:         []capping.Cap{{Count: 1, Window: capping.Day}},
			NoIdentifier: capping.Allow}, nil, time.UTC),
		tenant + "#adcapped": capping.NewConfig(capping.CampaignCaps{},
			map[string][]capping.Cap{"a9": {{Count: 1, Window: capping.Week}}}, time.UTC),
	}
	d := &capping.Decider{Store: capping.NewMemory(), Configs: cfgs, Now: time.Now}
	out, _ := d.Decide(context.Background(), tenant, &capping.Request{Candidates: []capping.Candidate{
		{CampaignID: "strict", AdID: "a1"}, {CampaignID: "lenient", AdID: "a1"},
		{CampaignID: "free", AdID: "a1"}, {CampaignID: "adcapped", AdID: "a9"},
		{CampaignID: "adcapped", AdID: "a8"},
	}})
	want := []struct {
		allowed bool
		reason  string
	}{{false, capping.ReasonNoIdentifier}, {true, ""}, {true, ""},
		{false, capping.ReasonNoIdentifier}, {true, ""}}
	for i, w := range want {
		if out[i].Allowed != w.allowed || out[i].Reason != w.reason {
			t.Errorf("%s/%s: allowed=%v reason=%q, want %v %q", out[i].CampaignID,
				out[i].AdID, out[i].Allowed, out[i].Reason, w.allowed, w.reason)
		}
	}
}

// failing is a store whose reads fail.
type failing struct{ capping.Store }

func (failing) Counters(context.Context, string, []capping.Ref) (map[capping.Ref]capping.Counts, error) {
	return nil, errors.New("throttled")
}

// TestStoreErrorFailsClosed: capped candidates are refused when counters cannot be
// read; uncapped ones are still allowed.
func TestStoreErrorFailsClosed(t *testing.T) {
	cfgs := capping.Static{tenant + "#c1": capping.NewConfig(capping.CampaignCaps{
		Caps: []capping.Cap{{Count: 5, Window: capping.Month}}}, nil, time.UTC)}
	d := &capping.Decider{Store: failing{capping.NewMemory()}, Configs: cfgs, Now: time.Now}
	out, st := d.Decide(context.Background(), tenant, &capping.Request{
		Identifiers: capping.Identifiers{UserID: "u"},
		Candidates:  []capping.Candidate{{CampaignID: "c1"}, {CampaignID: "c2"}}})
	if out[0].Allowed || out[0].Reason != capping.ReasonUnavailable || !out[1].Allowed ||
		st.Err == nil {
		t.Errorf("got %+v %+v (err %v), want c1 refused as unavailable, c2 allowed",
			out[0], out[1], st.Err)
	}
}

// TestRollingMinute: 2 per minute; the window forgets an impression between 60 and 70 s
// after it, never before.
func TestRollingMinute(t *testing.T) {
	cfgs := capping.Static{tenant + "#c1": capping.NewConfig(capping.CampaignCaps{
		Caps: []capping.Cap{{Count: 2, Window: capping.Minute}}}, nil, time.UTC)}
	r := newRig(t, capping.NewMemory(), cfgs)
	ids := capping.Identifiers{UserID: "u"}
	t0 := time.Date(2026, 5, 4, 9, 0, 3, 0, time.UTC)
	r.show(ids, "c1", "", t0)
	r.show(ids, "c1", "", t0.Add(20*time.Second))
	d := r.decide(ids, "c1", "", t0.Add(59*time.Second))
	if d.Allowed {
		t.Fatalf("allowed 59 s after the first of 2 impressions")
	}
	if d.ResetsAt == nil || d.ResetsAt.Sub(t0) < time.Minute ||
		d.ResetsAt.Sub(t0) > 70*time.Second {
		t.Errorf("resets_at %v is not 60 to 70 s after the first impression", d.ResetsAt)
	}
	if d := r.decide(ids, "c1", "", *d.ResetsAt); !d.Allowed {
		t.Errorf("refused at resets_at")
	}
}

func TestValidateCaps(t *testing.T) {
	many := make([]capping.Cap, 11)
	for i := range many {
		many[i] = capping.Cap{Count: 1, Window: capping.Day}
	}
	cases := []struct {
		name   string
		caps   capping.CampaignCaps
		fields []string
	}{
		{"valid", capping.CampaignCaps{Caps: []capping.Cap{{Count: 2, Window: capping.Day}}}, nil},
		{"empty list clears", capping.CampaignCaps{Caps: []capping.Cap{}}, nil},
		{"missing list", capping.CampaignCaps{}, []string{"caps"}},
		{"count 0 and bad window", capping.CampaignCaps{Caps: []capping.Cap{{Count: 0,
			Window: "fortnight"}}}, []string{"caps[0].count", "caps[0].window"}},
		{"count too large", capping.CampaignCaps{Caps: []capping.Cap{{Count: 10001,
			Window: capping.Week}}}, []string{"caps[0].count"}},
		{"eleven caps", capping.CampaignCaps{Caps: many}, []string{"caps"}},
		{"bad policy", capping.CampaignCaps{Caps: []capping.Cap{}, NoIdentifier: "maybe"},
			[]string{"no_identifier"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.caps.Validate()
			if len(got) != len(tc.fields) {
				t.Fatalf("got %+v, want fields %v", got, tc.fields)
			}
			for i, f := range tc.fields {
				if got[i].Field != f {
					t.Errorf("field %d: got %s, want %s", i, got[i].Field, f)
				}
			}
		})
	}
}
