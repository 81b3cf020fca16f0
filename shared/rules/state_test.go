package rules_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/rules"
	"github.com/adpulse/adpulse/shared/totals"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// obs is one evaluation in a sequence: at t0+at seconds the conditions hold or not.
type obs struct {
	at    int
	holds bool
	want  rules.Action
	phase rules.Phase
}

func TestStep(t *testing.T) {
	cases := []struct {
		name     string
		forSec   int64
		cooldown int64
		resolved bool
		steps    []obs
	}{
		{"fires once when it becomes true", 0, 3600, false, []obs{
			{0, false, rules.None, rules.OK},
			{10, true, rules.Fire, rules.Firing},
			{20, true, rules.None, rules.Firing},
			{30, true, rules.None, rules.Firing},
		}},
		{"re-arms when false and fires again after the cooldown", 0, 60, false, []obs{
			{0, true, rules.Fire, rules.Firing},
			{10, false, rules.None, rules.OK},
			{70, true, rules.Fire, rules.Firing},
		}},
		{"never fires within the cooldown; fires when it ends if still true", 0, 3600,
			false, []obs{
				{0, true, rules.Fire, rules.Firing},
				{60, false, rules.None, rules.OK},
				{120, true, rules.None, rules.Pending},
				{3599, true, rules.None, rules.Pending},
				{3600, true, rules.Fire, rules.Firing},
			}},
		{"a crossing inside the cooldown that ends is forgotten", 0, 3600, false, []obs{
			{0, true, rules.Fire, rules.Firing},
			{60, false, rules.None, rules.OK},
			{120, true, rules.None, rules.Pending},
			{180, false, rules.None, rules.OK},
			{4000, false, rules.None, rules.OK},
			{4100, true, rules.Fire, rules.Firing},
		}},
		{"resolved notice on the way back", 0, 3600, true, []obs{
			{0, true, rules.Fire, rules.Firing},
			{5, true, rules.None, rules.Firing},
			{10, false, rules.Resolve, rules.OK},
			{20, false, rules.None, rules.OK},
		}},
		{"no resolved notice without notify_resolved", 0, 3600, false, []obs{
			{0, true, rules.Fire, rules.Firing},
			{10, false, rules.None, rules.OK},
		}},
		{"for: fires only after holding that long", 300, 3600, false, []obs{
			{0, true, rules.None, rules.Pending},
			{299, true, rules.None, rules.Pending},
			{300, true, rules.Fire, rules.Firing},
		}},
		{"for: a gap restarts the clock", 300, 3600, false, []obs{
			{0, true, rules.None, rules.Pending},
			{200, false, rules.None, rules.OK},
			{250, true, rules.None, rules.Pending},
			{500, true, rules.None, rules.Pending},
			{550, true, rules.Fire, rules.Firing},
		}},
		{"for: pending that ends sends no resolved notice", 300, 3600, true, []obs{
			{0, true, rules.None, rules.Pending},
			{10, false, rules.None, rules.OK},
		}},
		{"cooldown 0 fires on every rising edge", 0, 0, true, []obs{
			{0, true, rules.Fire, rules.Firing},
			{1, false, rules.Resolve, rules.OK},
			{2, true, rules.Fire, rules.Firing},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rule(rules.And)
			r.ForSeconds, r.CooldownSeconds, r.NotifyResolved = tc.forSec, tc.cooldown,
				tc.resolved
			var st rules.State
			fires := 0
			for _, o := range tc.steps {
				var a rules.Action
				st, a = rules.Step(r, st, o.holds, t0.Add(time.Duration(o.at)*time.Second))
				if a != o.want || st.Phase != o.phase {
					t.Fatalf("at +%ds holds=%v: got %q %s, want %q %s", o.at, o.holds, a,
						st.Phase, o.want, o.phase)
				}
				if a == rules.Fire {
					fires++
					if st.Episode != int64(fires) {
						t.Errorf("at +%ds: got episode %d, want %d", o.at, st.Episode, fires)
					}
				}
			}
		})
	}
}

func TestStepUnchangedStateIsEqual(t *testing.T) {
	r := rule(rules.And)
	st, _ := rules.Step(r, rules.State{}, true, t0)
	next, a := rules.Step(r, st, true, t0.Add(time.Minute))
	if a != rules.None || !next.Equal(st) {
		t.Errorf("firing and still holding: got %q %+v, want no action, same state", a, next)
	}
	if zero, _ := rules.Step(r, rules.State{}, false, t0); !zero.Equal(rules.State{}) {
		t.Errorf("ok and not holding: got %+v, want the zero state", zero)
	}
}

func TestPausedCampaignsStaySilent(t *testing.T) {
	r := rule(rules.And, cond(rules.Spend, rules.GE, 5_000_000))
	r.NotifyResolved = true
	s := snap()
	for _, status := range []campaign.Status{campaign.Paused, campaign.Archived} {
		t.Run(string(status), func(t *testing.T) {
			s.CampaignStatus = status

			// Holding while muted: no fire, the state stays ok.
			st, a := rules.Evaluate(r, rules.State{}, &s, t0)
			if a != rules.None || st.Phase != rules.OK {
				t.Errorf("muted, holding: got %q %s, want no action, ok", a, st.Phase)
			}

			// Firing when muted and no longer holding: no resolved notice either.
			firing := rules.State{Phase: rules.Firing, Since: t0, LastFiredAt: t0, Episode: 1}
			low := s
			low.Lifetime = totals.Counters{}
			st, a = rules.Evaluate(r, firing, &low, t0.Add(time.Minute))
			if a != rules.None || !st.Equal(firing) {
				t.Errorf("muted, stopped holding: got %q %+v, want nothing", a, st)
			}

			// A pending "for" clock is dropped.
			pending := rules.State{Phase: rules.Pending, Since: t0}
			if st, _ = rules.Evaluate(r, pending, &s, t0.Add(time.Minute)); st.Phase != rules.OK {
				t.Errorf("muted, pending: got %s, want ok", st.Phase)
			}

			// Resumed and still holding: it fires then.
			active := s
			active.CampaignStatus = campaign.Active
			_, a = rules.Evaluate(r, rules.State{}, &active, t0.Add(time.Hour))
			if a != rules.Fire {
				t.Errorf("resumed, holding: got %q, want fire", a)
			}
		})
	}
	disabled := *r
	disabled.Enabled = false
	s.CampaignStatus = campaign.Active
	if _, a := rules.Evaluate(&disabled, rules.State{}, &s, t0); a != rules.None {
		t.Errorf("disabled rule: got %q, want no action", a)
	}
}

func TestNotificationID(t *testing.T) {
	id := rules.NotificationID("t_a", "rul_1", "cmp_1", 1, rules.Fire)
	if id != rules.NotificationID("t_a", "rul_1", "cmp_1", 1, rules.Fire) ||
		!strings.HasPrefix(id, "ntf_") || len(id) != 36 {
		t.Fatalf("got %q, want a stable ntf_ id of 36 characters", id)
	}
	others := map[string]string{
		"tenant":   rules.NotificationID("t_b", "rul_1", "cmp_1", 1, rules.Fire),
		"rule":     rules.NotificationID("t_a", "rul_2", "cmp_1", 1, rules.Fire),
		"campaign": rules.NotificationID("t_a", "rul_1", "cmp_2", 1, rules.Fire),
		"episode":  rules.NotificationID("t_a", "rul_1", "cmp_1", 2, rules.Fire),
		"resolve":  rules.NotificationID("t_a", "rul_1", "cmp_1", 1, rules.Resolve),
		"boundary": rules.NotificationID("t_a", "rul_1c", "mp_1", 1, rules.Fire),
	}
	for what, other := range others {
		if other == id {
			t.Errorf("another %s gives the same id %s", what, id)
		}
	}
}

func TestDayStart(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	cases := []struct {
		name string
		now  string // UTC
		tz   *time.Location
		want string // UTC
	}{
		{"LA winter", "2026-01-15T20:00:00Z", la, "2026-01-15T08:00:00Z"},
		{"LA summer", "2026-07-15T20:00:00Z", la, "2026-07-15T07:00:00Z"},
		{"LA before midnight is yesterday", "2026-07-16T06:59:59Z", la, "2026-07-15T07:00:00Z"},
		{"LA at midnight", "2026-07-16T07:00:00Z", la, "2026-07-16T07:00:00Z"},
		// 8 March 2026: 02:00 PST becomes 03:00 PDT; the day has 23 hours.
		{"LA spring forward, before the change", "2026-03-08T09:30:00Z", la,
			"2026-03-08T08:00:00Z"},
		{"LA spring forward, after the change", "2026-03-08T20:00:00Z", la,
			"2026-03-08T08:00:00Z"},
		{"LA spring forward, last instant", "2026-03-09T06:59:59Z", la,
			"2026-03-08T08:00:00Z"},
		{"LA day after spring forward", "2026-03-09T07:00:00Z", la, "2026-03-09T07:00:00Z"},
		// 1 November 2026: 02:00 PDT becomes 01:00 PST; the day has 25 hours.
		{"LA fall back, first 01:30", "2026-11-01T08:30:00Z", la, "2026-11-01T07:00:00Z"},
		{"LA fall back, second 01:30", "2026-11-01T09:30:00Z", la, "2026-11-01T07:00:00Z"},
		{"LA fall back, last instant", "2026-11-02T07:59:59Z", la, "2026-11-01T07:00:00Z"},
		{"LA day after fall back", "2026-11-02T08:00:00Z", la, "2026-11-02T08:00:00Z"},
		{"Paris ahead of UTC", "2026-06-30T22:30:00Z", paris, "2026-06-30T22:00:00Z"},
		{"UTC", "2026-06-30T22:30:00Z", time.UTC, "2026-06-30T00:00:00Z"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now, _ := time.Parse(time.RFC3339, tc.now)
			got := rules.DayStart(now, tc.tz)
			if got.Format(time.RFC3339) != tc.want || got.Location() != time.UTC {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}

	// Zones whose change skips midnight: the day starts at the first local time.
	if sp, err := time.LoadLocation("America/Sao_Paulo"); err == nil {
		// 4 November 2018: 00:00 became 01:00 (UTC-3 to UTC-2).
		now := time.Date(2018, 11, 4, 15, 0, 0, 0, time.UTC)
		got := rules.DayStart(now, sp)
		if want := "2018-11-04T03:00:00Z"; got.Format(time.RFC3339) != want {
			t.Errorf("Sao Paulo skipped midnight: got %s, want %s", got, want)
		}
	}
}

// TestTodayAcrossMidnight: a rule on today's spend in Los Angeles fires late in the
// local day, re-arms when the local day turns over (today's spend drops to zero) and
// fires again on the new day, while a UTC day would have turned over 8 hours earlier.
func TestTodayAcrossMidnight(t *testing.T) {
	la, _ := time.LoadLocation("America/Los_Angeles")
	cmp := campaign.Campaign{Status: campaign.Active, Spec: campaign.Spec{
		Budget:   &campaign.Budget{TotalMicros: 1e12, Currency: "USD"},
		Schedule: &campaign.Schedule{Timezone: "America/Los_Angeles"}}}
	r := rule(rules.And, rules.Condition{Metric: rules.Spend, Op: rules.GE,
		Threshold: 5_000_000, Scope: rules.Today})
	r.CooldownSeconds, r.NotifyResolved = 0, true

	// 3 USD at 23:50 local on 14 July and 3 USD at 23:58; 1 USD at 00:01 on 15 July.
	local := func(d, h, m int) time.Time { return time.Date(2026, 7, d, h, m, 0, 0, la) }
	minute := func(at time.Time, usd int64) totals.Bucket {
		return totals.Bucket{Start: at.UTC(), Counters: totals.Counters{
			Spend: map[string]int64{"USD": usd * 1_000_000}}}
	}
	buckets := []totals.Bucket{minute(local(14, 23, 50), 3), minute(local(14, 23, 58), 3),
		minute(local(15, 0, 1), 1), minute(local(15, 0, 3), 5)}
	cases := []struct {
		now   time.Time
		upTo  int // buckets seen so far
		today int64
		want  rules.Action
	}{
		{local(14, 23, 55), 1, 3_000_000, rules.None},
		{local(14, 23, 59), 2, 6_000_000, rules.Fire},
		{local(15, 0, 2), 3, 1_000_000, rules.Resolve},
		{local(15, 0, 4), 4, 6_000_000, rules.Fire},
	}
	var st rules.State
	for _, tc := range cases {
		s := rules.NewSnapshot(cmp, totals.Counters{}, buckets[:tc.upTo], nil, tc.now)
		if got := s.Today.Spend["USD"]; got != tc.today {
			t.Errorf("at %s: got today's spend %d, want %d", tc.now, got, tc.today)
		}
		var a rules.Action
		st, a = rules.Evaluate(r, st, &s, tc.now)
		if a != tc.want {
			t.Errorf("at %s: got %q, want %q", tc.now, a, tc.want)
		}
	}
}

func TestNewSnapshotWindows(t *testing.T) {
	now := time.Date(2026, 7, 1, 12, 30, 20, 0, time.UTC)
	var buckets []totals.Bucket
	for i := 0; i < 90; i++ { // one impression a minute from 11:01 to 12:30
		buckets = append(buckets, totals.Bucket{Start: now.Truncate(time.Minute).Add(
			-time.Duration(89-i) * time.Minute), Counters: totals.Counters{Impressions: 1}})
	}
	cmp := campaign.Campaign{Status: campaign.Active}
	s := rules.NewSnapshot(cmp, totals.Counters{Impressions: 1000}, buckets, []int{1, 5, 60},
		now)
	for n, want := range map[int]int64{1: 1, 5: 5, 60: 60} {
		if got := s.Windows[n].Impressions; got != want {
			t.Errorf("last %d minutes: got %d impressions, want %d", n, got, want)
		}
	}
	if s.Today.Impressions != 90 {
		t.Errorf("today (UTC zone by default): got %d, want 90", s.Today.Impressions)
	}
	got := rules.Windows([]rules.Rule{*rule(rules.And,
		rules.Condition{Scope: rules.LastMinutes, Minutes: 60},
		rules.Condition{Scope: rules.LastMinutes, Minutes: 5}),
		*rule(rules.Or, rules.Condition{Scope: rules.LastMinutes, Minutes: 60})})
	if fmt.Sprint(got) != "[5 60]" {
		t.Errorf("Windows: got %v, want [5 60]", got)
	}
}

// BenchmarkHoldsStep judges a rule of 10 conditions (every metric, all scopes) and
// steps its state, as the stream evaluator does per rule and campaign.
func BenchmarkHoldsStep(b *testing.B) {
	for _, join := range []rules.Join{rules.And, rules.Or} {
		b.Run(string(join), func(b *testing.B) {
			conds := []rules.Condition{
				cond(rules.Impressions, rules.GE, 1), cond(rules.Clicks, rules.GE, 1),
				cond(rules.Spend, rules.GE, 1), cond(rules.Value, rules.GE, 1),
				cond(rules.CTR, rules.GE, 0.001), cond(rules.CVR, rules.GE, 0.001),
				cond(rules.CPM, rules.GE, 1), cond(rules.CPC, rules.GE, 1),
				{Metric: rules.CPA, Op: rules.GE, Threshold: 1, Scope: rules.Today},
				{Metric: rules.BudgetUsedPct, Op: rules.GE, Threshold: 0.1,
					Scope: rules.Lifetime},
			}
			if join == rules.Or { // make OR read every condition too
				for i := range conds {
					conds[i].Op = rules.LT
					conds[i].Threshold = 0
				}
			}
			r := rule(join, conds...)
			s := snap()
			var st rules.State
			now := t0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				st, _ = rules.Step(r, st, rules.Holds(r, &s), now)
			}
		})
	}
}
