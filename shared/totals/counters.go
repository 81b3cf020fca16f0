package totals

import (
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/adpulse/adpulse/shared/event"
)

// Attribute names of the counters in a row. Money is kept per ISO 4217 currency, as
// spend_<CUR> and value_<CUR>, in integer micros.
const (
	AttrImpressions = "impressions"
	AttrClicks      = "clicks"
	AttrConversions = "conversions"
	spendPrefix     = "spend_"
	valuePrefix     = "value_"
)

// Counters are the additive measures of a campaign or an ad over some time.
type Counters struct {
	Impressions int64            `json:"impressions"`
	Clicks      int64            `json:"clicks"`
	Conversions int64            `json:"conversions"`
	Spend       map[string]int64 `json:"spend_micros,omitempty"`
	Value       map[string]int64 `json:"value_micros,omitempty"`
}

// AddEvent counts one event.
func (c *Counters) AddEvent(e *event.Event) {
	switch e.Type {
	case event.Impression:
		c.Impressions++
	case event.Click:
		c.Clicks++
	case event.Conversion:
		c.Conversions++
	}
	if e.CostMicros != 0 {
		c.Spend = addMoney(c.Spend, e.Currency, e.CostMicros)
	}
	if e.ValueMicros != 0 {
		c.Value = addMoney(c.Value, e.Currency, e.ValueMicros)
	}
}

// Add adds other into c.
func (c *Counters) Add(other Counters) {
	c.Impressions += other.Impressions
	c.Clicks += other.Clicks
	c.Conversions += other.Conversions
	for cur, v := range other.Spend {
		c.Spend = addMoney(c.Spend, cur, v)
	}
	for cur, v := range other.Value {
		c.Value = addMoney(c.Value, cur, v)
	}
}

// IsZero reports whether nothing was counted.
func (c *Counters) IsZero() bool {
	return c.Impressions == 0 && c.Clicks == 0 && c.Conversions == 0 &&
		len(c.Spend) == 0 && len(c.Value) == 0
}

// Currencies lists the currencies that carry money, sorted.
func (c *Counters) Currencies() []string {
	set := make(map[string]bool)
	for cur := range c.Spend {
		set[cur] = true
	}
	for cur := range c.Value {
		set[cur] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// Attributes returns the counters as (attribute name, amount) pairs, zeros left out.
func (c *Counters) Attributes() map[string]int64 {
	out := make(map[string]int64, 3+len(c.Spend)+len(c.Value))
	for name, v := range map[string]int64{
		AttrImpressions: c.Impressions, AttrClicks: c.Clicks, AttrConversions: c.Conversions,
	} {
		if v != 0 {
			out[name] = v
		}
	}
	for cur, v := range c.Spend {
		out[spendPrefix+cur] = v
	}
	for cur, v := range c.Value {
		out[valuePrefix+cur] = v
	}
	return out
}

// addItem adds the counters stored in a DynamoDB item.
func (c *Counters) addItem(item map[string]types.AttributeValue) {
	for name, av := range item {
		n, ok := av.(*types.AttributeValueMemberN)
		if !ok {
			continue
		}
		v, ok := parseCount(n.Value)
		if !ok {
			continue
		}
		switch {
		case name == AttrImpressions:
			c.Impressions += v
		case name == AttrClicks:
			c.Clicks += v
		case name == AttrConversions:
			c.Conversions += v
		case strings.HasPrefix(name, spendPrefix):
			c.Spend = addMoney(c.Spend, strings.TrimPrefix(name, spendPrefix), v)
		case strings.HasPrefix(name, valuePrefix):
			c.Value = addMoney(c.Value, strings.TrimPrefix(name, valuePrefix), v)
		}
	}
}

func addMoney(m map[string]int64, cur string, v int64) map[string]int64 {
	if m == nil {
		m = make(map[string]int64, 1)
	}
	m[cur] += v
	return m
}

// parseCount reads a DynamoDB number that holds an integer. Some emulators write integers
// in exponent form (8.73434e+06); those are accepted when they are exact integers.
func parseCount(s string) (int64, bool) {
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// AttrSketch is the attribute holding a reach row's HyperLogLog sketch (binary).
const AttrSketch = "hll"
