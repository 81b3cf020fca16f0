package traffic

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/adpulse/adpulse/shared/event"
)

// channelProfile holds the market rates of one channel, as ranges a campaign draws from.
// Prices are in currency units (USD or EUR); rates are fractions.
type channelProfile struct {
	channel        event.Channel
	cpm            [2]float64 // cost per thousand impressions; zero for pay-per-click
	cpc            [2]float64 // cost per click; zero for pay-per-impression
	ctr            [2]float64
	clickDelayMean time.Duration
}

// profiles are typical 2020s rates: display pays by the thousand at a low CTR, video and
// social cost more per impression and get more clicks, search is bought per click.
var profiles = []channelProfile{
	{channel: event.Display, cpm: [2]float64{1.5, 4}, ctr: [2]float64{0.001, 0.003},
		clickDelayMean: 8 * time.Second},
	{channel: event.Video, cpm: [2]float64{10, 25}, ctr: [2]float64{0.005, 0.010},
		clickDelayMean: 30 * time.Second},
	{channel: event.Social, cpm: [2]float64{5, 10}, ctr: [2]float64{0.008, 0.012},
		clickDelayMean: 12 * time.Second},
	{channel: event.Search, cpc: [2]float64{0.5, 2.5}, ctr: [2]float64{0.015, 0.020},
		clickDelayMean: 5 * time.Second},
}

// conversionDelayMean is how long after the click a conversion typically follows.
const conversionDelayMean = 40 * time.Minute

type ad struct {
	id     string
	weight float64
}

type campaign struct {
	id       string
	profile  channelProfile
	currency string
	weight   float64
	ads      []ad
	cpm      float64 // in currency units; zero when the campaign pays per click
	cpc      float64
	ctr      float64
	cvr      float64
	aov      float64 // average order value of a conversion, in currency units
}

type user struct {
	id      string // empty when the user is not logged in
	devices []string
	os      string
	country string
}

type generator struct {
	opts      Options
	rng       *rand.Rand
	zipf      *rand.Zipf
	campaigns []campaign
	users     []user
	expected  map[string]Totals
}

func (g *generator) between(r [2]float64) float64 {
	return r[0] + g.rng.Float64()*(r[1]-r[0])
}

// id returns a random UUID (version 4 layout) drawn from the generator's source.
func (g *generator) id() string {
	hi, lo := g.rng.Uint64(), g.rng.Uint64()
	hi = hi&^0xf000 | 0x4000
	lo = lo&^(0xc<<60) | 0x8<<60
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", hi>>32, hi>>16&0xffff, hi&0xffff,
		lo>>48, lo&0xffffffffffff)
}

func (g *generator) newCampaigns() []campaign {
	campaigns := make([]campaign, g.opts.Campaigns)
	for i := range campaigns {
		p := profiles[i%len(profiles)]
		c := campaign{
			id:       fmt.Sprintf("cmp-%s-%02d", p.channel, i+1),
			profile:  p,
			currency: "USD",
			weight:   0.5 + g.rng.Float64(),
			ctr:      g.between(p.ctr),
			cvr:      g.between([2]float64{0.01, 0.05}),
			aov:      g.between([2]float64{20, 150}),
		}
		if g.rng.Float64() < 0.3 {
			c.currency = "EUR"
		}
		if p.cpm[1] > 0 {
			c.cpm = g.between(p.cpm)
		} else {
			c.cpc = g.between(p.cpc)
		}
		for j := range 2 + g.rng.IntN(4) {
			c.ads = append(c.ads, ad{id: fmt.Sprintf("%s-ad-%d", c.id, j+1),
				weight: 0.2 + g.rng.Float64()})
		}
		campaigns[i] = c
		g.expected[c.id] = Totals{Currency: c.currency}
	}
	return campaigns
}

var (
	systems   = []string{"android", "ios", "windows", "macos", "linux"}
	countries = []string{"US", "DE", "FR", "GB", "ES", "IT", "NL", "CA"}
)

// newUsers makes n users: three in four logged in, three in ten with 2 or 3 devices.
func (g *generator) newUsers(n int) []user {
	users := make([]user, n)
	for i := range users {
		u := user{
			os:      systems[g.rng.IntN(len(systems))],
			country: countries[g.zipfSmall(len(countries))],
		}
		if g.rng.Float64() < 0.75 {
			u.id = "u-" + g.id()
		}
		devices := 1
		if g.rng.Float64() < 0.3 {
			devices = 2 + g.rng.IntN(2)
		}
		for range devices {
			u.devices = append(u.devices, "d-"+g.id())
		}
		users[i] = u
	}
	return users
}

// zipfSmall picks an index below n, earlier ones more often (weight 1/(i+1)).
func (g *generator) zipfSmall(n int) int {
	total := 0.0
	for i := range n {
		total += 1 / float64(i+1)
	}
	x := g.rng.Float64() * total
	for i := range n {
		x -= 1 / float64(i+1)
		if x < 0 {
			return i
		}
	}
	return n - 1
}

func pick[T any](rng *rand.Rand, items []T, weight func(T) float64) T {
	total := 0.0
	for _, it := range items {
		total += weight(it)
	}
	x := rng.Float64() * total
	for _, it := range items {
		x -= weight(it)
		if x < 0 {
			return it
		}
	}
	return items[len(items)-1]
}

// micros turns an amount in currency units into integer micros.
func micros(units float64) int64 {
	return int64(math.Round(units * 1e6))
}

// expDelay draws an exponential delay with the given mean, at least one second.
func (g *generator) expDelay(mean time.Duration) time.Duration {
	d := time.Duration(g.rng.ExpFloat64() * float64(mean))
	return max(d, time.Second).Truncate(time.Millisecond)
}

// events makes the distinct events, sorted by occurred_at, and counts them in expected.
func (g *generator) events() []event.Event {
	window := g.opts.End.Sub(g.opts.Start)
	events := make([]event.Event, 0, g.opts.Count+g.opts.Count/50)
	for range g.opts.Count {
		c := pick(g.rng, g.campaigns, func(c campaign) float64 { return c.weight })
		a := pick(g.rng, c.ads, func(a ad) float64 { return a.weight })
		u := g.users[g.zipf.Uint64()]
		at := g.opts.Start.Add(time.Duration(g.rng.Int64N(int64(window)))).
			Truncate(time.Millisecond)

		imp := g.impression(&c, a, u, at)
		events = append(events, imp)
		if g.rng.Float64() >= c.ctr {
			continue
		}
		clk := g.click(&c, imp)
		if clk.OccurredAt.After(g.opts.End) {
			continue // the click has not happened yet
		}
		events = append(events, clk)
		if g.rng.Float64() >= c.cvr {
			continue
		}
		if conv := g.conversion(&c, clk); !conv.OccurredAt.After(g.opts.End) {
			events = append(events, conv)
		}
	}

	for _, e := range events {
		g.count(e)
	}
	slices.SortStableFunc(events, func(a, b event.Event) int {
		return a.OccurredAt.Compare(b.OccurredAt)
	})
	return events
}

func (g *generator) impression(c *campaign, a ad, u user, at time.Time) event.Event {
	e := event.Event{
		EventID:    g.id(),
		Type:       event.Impression,
		CampaignID: c.id,
		AdID:       a.id,
		UserID:     u.id,
		DeviceID:   u.devices[g.rng.IntN(len(u.devices))],
		OccurredAt: at,
		Channel:    c.profile.channel,
		Attributes: map[string]string{"os": u.os, "country": u.country},
	}
	if c.cpm > 0 {
		// Second-price auctions clear around the campaign's CPM, spread by +-40%.
		e.CostMicros = micros(c.cpm / 1000 * (0.6 + 0.8*g.rng.Float64()))
		e.Currency = c.currency
	}
	return e
}

func (g *generator) click(c *campaign, imp event.Event) event.Event {
	e := imp
	e.EventID = g.id()
	e.Type = event.Click
	e.OccurredAt = imp.OccurredAt.Add(g.expDelay(c.profile.clickDelayMean))
	e.CostMicros, e.Currency = 0, ""
	if c.cpc > 0 {
		e.CostMicros = micros(c.cpc * (0.7 + 0.6*g.rng.Float64()))
		e.Currency = c.currency
	}
	e.Attributes = maps.Clone(imp.Attributes)
	return e
}

func (g *generator) conversion(c *campaign, clk event.Event) event.Event {
	e := clk
	e.EventID = g.id()
	e.Type = event.Conversion
	e.OccurredAt = clk.OccurredAt.Add(g.expDelay(conversionDelayMean))
	e.CostMicros = 0
	e.ValueMicros = micros(c.aov * math.Exp(0.5*g.rng.NormFloat64()-0.125))
	e.Currency = c.currency
	if g.rng.Float64() < 0.3 {
		e.AdID = "" // some conversion trackers do not know the ad
	}
	e.Attributes = maps.Clone(clk.Attributes)
	return e
}

func (g *generator) count(e event.Event) {
	t := g.expected[e.CampaignID]
	switch e.Type {
	case event.Impression:
		t.Impressions++
	case event.Click:
		t.Clicks++
	case event.Conversion:
		t.Conversions++
	}
	t.SpendMicros += e.CostMicros
	t.ValueMicros += e.ValueMicros
	g.expected[e.CampaignID] = t
}

// deliver sends about DuplicateRate of the events a second time, a few deliveries later,
// as a sender that retries after a lost answer does.
func (g *generator) deliver(distinct []event.Event) []event.Event {
	type delivery struct {
		order float64
		e     event.Event
	}
	out := make([]delivery, 0, len(distinct)+len(distinct)/100)
	for i, e := range distinct {
		out = append(out, delivery{float64(i), e})
		if g.rng.Float64() < DuplicateRate {
			dup := e
			dup.Attributes = maps.Clone(e.Attributes)
			out = append(out, delivery{float64(i+1+g.rng.IntN(50)) + 0.5, dup})
		}
	}
	slices.SortStableFunc(out, func(a, b delivery) int { return cmp.Compare(a.order, b.order) })

	events := make([]event.Event, len(out))
	for i, d := range out {
		events[i] = d.e
	}
	return events
}
