package report

import (
	"math/big"
	"strconv"
	"strings"

	"golang.org/x/text/currency"

	"github.com/adpulse/adpulse/shared/totals"
)

// Metrics are the measures of one report row, or of a campaign in the ranking. Money is
// integer micros of the campaign's currency (1 EUR = 1,000,000 micros). A ratio whose
// denominator is zero is null, never 0 or infinity.
type Metrics struct {
	Impressions int64 `json:"impressions"`
	Clicks      int64 `json:"clicks"`
	Conversions int64 `json:"conversions"`
	SpendMicros int64 `json:"spend_micros"`
	ValueMicros int64 `json:"conversion_value_micros"`

	CTR       *float64 `json:"ctr"`        // clicks / impressions
	CVR       *float64 `json:"cvr"`        // conversions / clicks
	CPMMicros *int64   `json:"cpm_micros"` // spend × 1000 / impressions, rounded
	CPCMicros *int64   `json:"cpc_micros"` // spend / clicks, rounded
	CPAMicros *int64   `json:"cpa_micros"` // spend / conversions, rounded
	ROAS      *float64 `json:"roas"`       // conversion value / spend

	UniqueUsers         *uint64  `json:"unique_users"`
	UniqueUsersStdError *float64 `json:"unique_users_std_error"` // relative, e.g. 0.0081
	AvgFrequency        *float64 `json:"avg_frequency"`          // impressions / unique users

	// OtherCurrencies lists currencies other than the campaign's that events carried
	// money in; those amounts are not converted and not counted above.
	OtherCurrencies []string `json:"other_currencies,omitempty"`
}

// Compute derives the metrics of counters in the campaign's currency, without reach.
func Compute(c totals.Counters, cur string) Metrics {
	m := Metrics{Impressions: c.Impressions, Clicks: c.Clicks, Conversions: c.Conversions,
		SpendMicros: c.Spend[cur], ValueMicros: c.Value[cur]}
	for _, other := range c.Currencies() {
		if other != cur {
			m.OtherCurrencies = append(m.OtherCurrencies, other)
		}
	}
	m.CTR = ratio(m.Clicks, m.Impressions)
	m.CVR = ratio(m.Conversions, m.Clicks)
	m.CPMMicros = divRound(m.SpendMicros, 1000, m.Impressions)
	m.CPCMicros = divRound(m.SpendMicros, 1, m.Clicks)
	m.CPAMicros = divRound(m.SpendMicros, 1, m.Conversions)
	m.ROAS = ratio(m.ValueMicros, m.SpendMicros)
	return m
}

// SetReach adds the unique users and their relative standard error, and the average
// frequency that follows from them.
func (m *Metrics) SetReach(r totals.Reach) {
	people, stdErr := r.People, r.StdError
	if people == 0 {
		stdErr = 0 // nobody reached: the count is exact
	}
	m.UniqueUsers, m.UniqueUsersStdError = &people, &stdErr
	m.AvgFrequency = nil
	if people > 0 {
		f := float64(m.Impressions) / float64(people)
		m.AvgFrequency = &f
	}
}

// ratio is num / den, or nil when den is 0.
func ratio(num, den int64) *float64 {
	if den == 0 {
		return nil
	}
	v := float64(num) / float64(den)
	return &v
}

// divRound is num × mul / den rounded half away from zero, or nil when den is 0. It is
// exact for any int64 inputs.
func divRound(num, mul, den int64) *int64 {
	if den == 0 {
		return nil
	}
	n := new(big.Int).Mul(big.NewInt(num), big.NewInt(mul))
	d := big.NewInt(den)
	q, r := new(big.Int).QuoRem(n, d, new(big.Int))
	// Round half away from zero: |2r| >= |d| moves q one step away from zero.
	if new(big.Int).Abs(new(big.Int).Lsh(r, 1)).Cmp(new(big.Int).Abs(d)) >= 0 {
		if n.Sign()*d.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	v := q.Int64()
	return &v
}

// Decimal writes micros as a decimal of the currency: at least the currency's minor
// digits (2 for EUR, 0 for JPY), at most 6, trailing zeros beyond the minor digits
// dropped. 8734340 CNY micros is "8.73434"; 250000000 EUR micros is "250.00".
func Decimal(micros int64, cur string) string {
	minor := 2
	if u, err := currency.ParseISO(cur); err == nil {
		minor, _ = currency.Standard.Rounding(u)
	}
	neg := micros < 0
	abs := uint64(micros)
	if neg {
		abs = uint64(-micros)
	}
	whole := strconv.FormatUint(abs/1_000_000, 10)
	frac := strconv.FormatUint(abs%1_000_000, 10)
	frac = strings.Repeat("0", 6-len(frac)) + frac
	for len(frac) > minor && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	s := whole
	if frac != "" {
		s += "." + frac
	}
	if neg {
		s = "-" + s
	}
	return s
}
