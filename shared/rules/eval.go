package rules

import (
	"math"
	"math/bits"

	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/totals"
)

// Snapshot is what a rule is judged on: a campaign's counters over each scope, read
// after the update that changed them.
type Snapshot struct {
	Lifetime totals.Counters
	Today    totals.Counters         // since DayStart(now, campaign time zone)
	Windows  map[int]totals.Counters // last N minutes, keyed by N (see Windows)
	// Currency is the campaign's budget currency; money metrics read this currency.
	Currency       string
	BudgetMicros   int64 // budget.total_micros
	CampaignStatus campaign.Status
}

// fractionScale is the fixed point of fraction thresholds: they are compared exactly
// at nine decimal places.
const fractionScale = 1_000_000_000

// Result is one condition judged on a snapshot.
type Result struct {
	Condition Condition
	// Judged is false when the metric is undefined: a ratio below the rule's minimum
	// volume or with a zero denominator, budget used without a budget, or a window the
	// snapshot lacks. A condition that is not judged counts as false.
	Judged bool
	Value  float64 // the metric: count, micros, or fraction, as the threshold
	Holds  bool
}

// Holds reports whether the rule's conditions hold on the snapshot: all of them for
// "and", any for "or". A rule without conditions never holds.
func Holds(r *Rule, s *Snapshot) bool {
	if len(r.Conditions) == 0 {
		return false
	}
	or := r.Join == Or
	for i := range r.Conditions {
		if holds(&r.Conditions[i], r.MinVolume, s) == or {
			return or
		}
	}
	return !or
}

// Explain judges every condition of the rule, for messages and debugging.
func Explain(r *Rule, s *Snapshot) []Result {
	out := make([]Result, len(r.Conditions))
	for i, c := range r.Conditions {
		num, den, ok := measure(&c, r.MinVolume, s)
		out[i] = Result{Condition: c, Judged: ok}
		if ok {
			out[i].Value = float64(num) / float64(den)
			out[i].Holds = compare(num, den, &c)
		}
	}
	return out
}

// holds judges one condition; not judged is false.
func holds(c *Condition, minVolume int64, s *Snapshot) bool {
	num, den, ok := measure(c, minVolume, s)
	return ok && compare(num, den, c)
}

// measure returns the condition's metric as the exact quotient num/den, or ok=false
// when it is not judged.
func measure(c *Condition, minVolume int64, s *Snapshot) (num, den uint64, ok bool) {
	var k *totals.Counters
	switch c.Scope {
	case Today:
		k = &s.Today
	case LastMinutes:
		w, found := s.Windows[c.Minutes]
		if !found {
			return 0, 0, false
		}
		k = &w
	default:
		k = &s.Lifetime
	}
	if c.Metric.Volatile() && k.Impressions < minVolume {
		return 0, 0, false
	}

	spend := func() uint64 { return pos(k.Spend[s.Currency]) }
	switch c.Metric {
	case Impressions:
		num, den = pos(k.Impressions), 1
	case Clicks:
		num, den = pos(k.Clicks), 1
	case Conversions:
		num, den = pos(k.Conversions), 1
	case Spend:
		num, den = spend(), 1
	case Value:
		num, den = pos(k.Value[s.Currency]), 1
	case CTR:
		num, den = pos(k.Clicks), pos(k.Impressions)
	case CVR:
		num, den = pos(k.Conversions), pos(k.Clicks)
	case CPM:
		num, den = spend()*1000, pos(k.Impressions)
	case CPC:
		num, den = spend(), pos(k.Clicks)
	case CPA:
		num, den = spend(), pos(k.Conversions)
	case BudgetUsedPct:
		num, den = spend(), pos(s.BudgetMicros)
	default:
		return 0, 0, false
	}
	return num, den, den != 0
}

// compare tests num/den op threshold exactly, as num*td op tn*den in 128 bits.
func compare(num, den uint64, c *Condition) bool {
	tn, td := threshold(c)
	lh, ll := bits.Mul64(num, td)
	rh, rl := bits.Mul64(tn, den)
	cmp := 0
	switch {
	case lh < rh || (lh == rh && ll < rl):
		cmp = -1
	case lh > rh || (lh == rh && ll > rl):
		cmp = 1
	}
	switch c.Op {
	case GT:
		return cmp > 0
	case GE:
		return cmp >= 0
	case LT:
		return cmp < 0
	case LE:
		return cmp <= 0
	case EQ:
		return cmp == 0
	}
	return false
}

// threshold returns the condition's threshold as the quotient tn/td: fractions in
// billionths, counts and micros as integers.
func threshold(c *Condition) (tn, td uint64) {
	t := c.Threshold
	if t <= 0 || math.IsNaN(t) {
		return 0, 1
	}
	if c.Metric.Fraction() {
		return uint64(math.Round(t * fractionScale)), fractionScale
	}
	if t >= 1<<63 {
		return 1 << 63, 1
	}
	return uint64(t), 1
}

// pos returns a count as unsigned, negative counts as zero.
func pos(v int64) uint64 {
	if v < 0 {
		return 0
	}
	return uint64(v)
}
