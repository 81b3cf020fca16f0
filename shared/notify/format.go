package notify

import (
	"math"
	"strconv"
	"strings"

	"golang.org/x/text/currency"
)

// MetricKind says how a metric's value is written.
type MetricKind int

// The metric kinds.
const (
	// MetricCount is a plain number (impressions, clicks, conversions).
	MetricCount MetricKind = iota
	// MetricMoney is integer micros of the notification's currency.
	MetricMoney
	// MetricRatio is a fraction written as a percentage.
	MetricRatio
)

// KindOf returns the kind of a metric by its name. Unknown names are counts.
func KindOf(metric string) MetricKind {
	switch metric {
	case "spend", "value", "cpm", "cpc", "cpa":
		return MetricMoney
	case "ctr", "cvr", "budget_used_pct":
		return MetricRatio
	}
	return MetricCount
}

// FormatMetric writes a metric value for people: money as a decimal amount with the
// currency code ("8.73 CNY"), ratios as a percentage ("1.25%"), counts as integers when
// they are whole.
func FormatMetric(metric string, value float64, cur string) string {
	switch KindOf(metric) {
	case MetricMoney:
		return FormatMoney(int64(math.Round(value)), cur)
	case MetricRatio:
		return FormatPercent(value)
	}
	if value == math.Trunc(value) && math.Abs(value) < 1e15 {
		return strconv.FormatInt(int64(value), 10)
	}
	return strconv.FormatFloat(value, 'f', -1, 64)
}

// FormatMoney writes integer micros as a decimal amount in the currency's minor unit
// (two decimals for CNY and USD, none for JPY), rounded half away from zero, followed by
// the code: 8_734_000 CNY is "8.73 CNY". An unknown or empty code gets two decimals.
func FormatMoney(micros int64, cur string) string {
	scale := 2
	if u, err := currency.ParseISO(cur); err == nil {
		scale, _ = currency.Standard.Rounding(u)
	}
	neg := micros < 0
	if neg {
		micros = -micros
	}

	// Round micros to the currency's scale with integer arithmetic (no float drift).
	step := int64(math.Pow10(6 - scale))
	units := (micros + step/2) / step
	whole := units / int64(math.Pow10(scale))
	frac := units % int64(math.Pow10(scale))

	var b strings.Builder
	if neg && units != 0 {
		b.WriteByte('-')
	}
	b.WriteString(strconv.FormatInt(whole, 10))
	if scale > 0 {
		f := strconv.FormatInt(frac, 10)
		b.WriteByte('.')
		b.WriteString(strings.Repeat("0", scale-len(f)) + f)
	}
	if cur != "" {
		b.WriteByte(' ')
		b.WriteString(cur)
	}
	return b.String()
}

// FormatPercent writes a fraction as a percentage with two decimals: 0.0125 is "1.25%".
func FormatPercent(fraction float64) string {
	return strconv.FormatFloat(fraction*100, 'f', 2, 64) + "%"
}
