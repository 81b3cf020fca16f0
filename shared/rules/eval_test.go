package rules_test

import (
	"testing"

	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/rules"
	"github.com/adpulse/adpulse/shared/totals"
)

// snap is a snapshot of an active EUR campaign with a budget of 100 EUR: 10,000
// impressions, 150 clicks, 6 conversions, 30 EUR spend, 90 EUR value over its lifetime.
func snap() rules.Snapshot {
	return rules.Snapshot{
		Lifetime: totals.Counters{Impressions: 10_000, Clicks: 150, Conversions: 6,
			Spend: map[string]int64{"EUR": 30_000_000, "USD": 999_000_000},
			Value: map[string]int64{"EUR": 90_000_000}},
		Today: totals.Counters{Impressions: 500, Clicks: 2,
			Spend: map[string]int64{"EUR": 1_000_000}},
		Windows: map[int]totals.Counters{
			5: {Impressions: 2_000, Clicks: 10, Spend: map[string]int64{"EUR": 400_000}}},
		Currency: "EUR", BudgetMicros: 100_000_000, CampaignStatus: campaign.Active,
	}
}

func rule(join rules.Join, conds ...rules.Condition) *rules.Rule {
	return &rules.Rule{Spec: rules.Spec{Conditions: conds, Join: join, MinVolume: 1000,
		CooldownSeconds: 3600, Enabled: true}}
}

func cond(m rules.Metric, op rules.Op, t float64) rules.Condition {
	return rules.Condition{Metric: m, Op: op, Threshold: t, Scope: rules.Lifetime}
}

func TestMetricsAndOperators(t *testing.T) {
	// Lifetime values: impressions 10000, clicks 150, conversions 6, spend 30e6,
	// value 90e6, ctr 0.015, cvr 0.04, cpm 3e6, cpc 200000, cpa 5e6, budget used 0.3.
	cases := []struct {
		name string
		c    rules.Condition
		want bool
	}{
		{"impressions > below", cond(rules.Impressions, rules.GT, 9_999), true},
		{"impressions > equal", cond(rules.Impressions, rules.GT, 10_000), false},
		{"impressions >= equal", cond(rules.Impressions, rules.GE, 10_000), true},
		{"impressions >= above", cond(rules.Impressions, rules.GE, 10_001), false},
		{"impressions < above", cond(rules.Impressions, rules.LT, 10_001), true},
		{"impressions < equal", cond(rules.Impressions, rules.LT, 10_000), false},
		{"impressions <= equal", cond(rules.Impressions, rules.LE, 10_000), true},
		{"impressions <= below", cond(rules.Impressions, rules.LE, 9_999), false},
		{"impressions == equal", cond(rules.Impressions, rules.EQ, 10_000), true},
		{"impressions == other", cond(rules.Impressions, rules.EQ, 10_001), false},
		{"clicks ==", cond(rules.Clicks, rules.EQ, 150), true},
		{"conversions <", cond(rules.Conversions, rules.LT, 7), true},
		{"spend >= 30 EUR", cond(rules.Spend, rules.GE, 30_000_000), true},
		{"spend > 30 EUR", cond(rules.Spend, rules.GT, 30_000_000), false},
		{"spend reads the campaign currency", cond(rules.Spend, rules.GT, 100_000_000), false},
		{"value == 90 EUR", cond(rules.Value, rules.EQ, 90_000_000), true},
		{"ctr == 1.5%", cond(rules.CTR, rules.EQ, 0.015), true},
		{"ctr < 1.5%", cond(rules.CTR, rules.LT, 0.015), false},
		{"ctr <= 1.5%", cond(rules.CTR, rules.LE, 0.015), true},
		{"ctr > 1.4999999%", cond(rules.CTR, rules.GT, 0.014999999), true},
		{"ctr < 1%", cond(rules.CTR, rules.LT, 0.01), false},
		{"cvr == 4%", cond(rules.CVR, rules.EQ, 0.04), true},
		{"cpm == 3 EUR", cond(rules.CPM, rules.EQ, 3_000_000), true},
		{"cpm > 2.999999 EUR", cond(rules.CPM, rules.GT, 2_999_999), true},
		{"cpc == 0.20 EUR", cond(rules.CPC, rules.EQ, 200_000), true},
		{"cpa >= 5 EUR", cond(rules.CPA, rules.GE, 5_000_000), true},
		{"cpa > 5 EUR", cond(rules.CPA, rules.GT, 5_000_000), false},
		{"budget used == 30%", cond(rules.BudgetUsedPct, rules.EQ, 0.3), true},
		{"budget used >= 80%", cond(rules.BudgetUsedPct, rules.GE, 0.8), false},
		{"today spend >= 1 EUR", rules.Condition{Metric: rules.Spend, Op: rules.GE,
			Threshold: 1_000_000, Scope: rules.Today}, true},
		{"today ctr below min volume", rules.Condition{Metric: rules.CTR, Op: rules.LT,
			Threshold: 0.5, Scope: rules.Today}, false},
		{"today clicks are judged below min volume", rules.Condition{Metric: rules.Clicks,
			Op: rules.EQ, Threshold: 2, Scope: rules.Today}, true},
		{"last 5 minutes ctr", rules.Condition{Metric: rules.CTR, Op: rules.EQ,
			Threshold: 0.005, Scope: rules.LastMinutes, Minutes: 5}, true},
		{"missing window is not judged", rules.Condition{Metric: rules.Clicks, Op: rules.GE,
			Threshold: 0, Scope: rules.LastMinutes, Minutes: 60}, false},
		{"cpa without conversions today", rules.Condition{Metric: rules.CPA, Op: rules.GE,
			Threshold: 0, Scope: rules.Today}, false},
	}
	s := snap()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rule(rules.And, tc.c)
			if got := rules.Holds(r, &s); got != tc.want {
				t.Errorf("Holds: got %v, want %v (explain %+v)", got, tc.want,
					rules.Explain(r, &s))
			}
		})
	}
}

func TestMinVolume(t *testing.T) {
	cases := []struct {
		name      string
		imps      int64
		minVolume int64
		want      bool
	}{
		{"below", 999, 1000, false},
		{"at", 1000, 1000, true},
		{"above", 5000, 1000, true},
		{"zero min volume judges at one impression", 1, 0, true},
		{"no impressions is never judged", 0, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := rules.Snapshot{Currency: "EUR",
				Lifetime: totals.Counters{Impressions: tc.imps}}
			r := rule(rules.And, cond(rules.CTR, rules.LT, 0.01)) // CTR is 0 < 1%
			r.MinVolume = tc.minVolume
			if got := rules.Holds(r, &s); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			res := rules.Explain(r, &s)[0]
			if res.Judged != tc.want {
				t.Errorf("Explain judged: got %v, want %v", res.Judged, tc.want)
			}
		})
	}
}

func TestAndOr(t *testing.T) {
	yes := cond(rules.Clicks, rules.GE, 1)
	no := cond(rules.Clicks, rules.GE, 1_000_000)
	unjudged := cond(rules.CTR, rules.GE, 0) // today below min volume
	unjudged.Scope = rules.Today
	cases := []struct {
		name  string
		join  rules.Join
		conds []rules.Condition
		want  bool
	}{
		{"and all true", rules.And, []rules.Condition{yes, yes, yes}, true},
		{"and one false", rules.And, []rules.Condition{yes, no, yes}, false},
		{"and not judged counts as false", rules.And, []rules.Condition{yes, unjudged}, false},
		{"or one true", rules.Or, []rules.Condition{no, no, yes}, true},
		{"or none true", rules.Or, []rules.Condition{no, no}, false},
		{"or not judged counts as false", rules.Or, []rules.Condition{unjudged, no}, false},
		{"or not judged and true", rules.Or, []rules.Condition{unjudged, yes}, true},
		{"no conditions", rules.And, nil, false},
		{"no conditions, or", rules.Or, nil, false},
	}
	s := snap()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := rules.Holds(rule(tc.join, tc.conds...), &s); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestExactRatioComparison(t *testing.T) {
	// 1 click in 3 impressions is 0.333...; 0.333333333 (nine places) is below it.
	s := rules.Snapshot{Lifetime: totals.Counters{Impressions: 3, Clicks: 1}}
	r := rule(rules.And, cond(rules.CTR, rules.GT, 0.333333333))
	r.MinVolume = 0
	if !rules.Holds(r, &s) {
		t.Errorf("1/3 > 0.333333333: got false, want true")
	}
	r.Conditions[0].Op = rules.EQ
	if rules.Holds(r, &s) {
		t.Errorf("1/3 == 0.333333333: got true, want false")
	}
	// Large counts do not overflow: 2^52 clicks over 2^52 impressions is 100%.
	big := int64(1) << 52
	s = rules.Snapshot{Lifetime: totals.Counters{Impressions: big, Clicks: big}}
	r.Conditions[0] = cond(rules.CTR, rules.EQ, 1)
	if !rules.Holds(r, &s) {
		t.Errorf("2^52/2^52 == 1: got false, want true")
	}
}
