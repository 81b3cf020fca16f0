package traffic

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"

	"github.com/adpulse/adpulse/shared/event"
)

// Defaults of Options.
const (
	DefaultCount     = 10_000
	DefaultCampaigns = 4
	DefaultWindow    = 24 * time.Hour
	MaxCampaigns     = 100
)

// DuplicateRate is the share of events delivered twice, like the iPinYou logs (0.4%).
const DuplicateRate = 0.004

// Options says what to generate. Zero values take the defaults.
type Options struct {
	Tenant    string    // required; mixed into the seed so tenants get different traffic
	Count     int       // distinct impressions; default DefaultCount
	Seed      int64     // the same seed, tenant and options give the same events
	Campaigns int       // campaigns of the tenant; default DefaultCampaigns
	Start     time.Time // first possible occurred_at; default End - DefaultWindow
	End       time.Time // end of the window, not after now; default now
}

// Totals are what a campaign adds up to after de-duplication. Amounts are integer micros
// of Currency; SpendMicros sums cost_micros of impressions and clicks.
type Totals struct {
	Impressions int64  `json:"impressions"`
	Clicks      int64  `json:"clicks"`
	Conversions int64  `json:"conversions"`
	SpendMicros int64  `json:"spend_micros"`
	ValueMicros int64  `json:"value_micros"`
	Currency    string `json:"currency"`
}

// Traffic is one generated run.
type Traffic struct {
	Tenant     string
	Events     []event.Event     // in delivery order, duplicates included
	Distinct   int               // distinct event ids in Events
	Duplicates int               // extra deliveries: len(Events) - Distinct
	Expected   map[string]Totals // by campaign id, after de-duplication
}

// Generate makes the traffic of one tenant.
func Generate(opts Options) (Traffic, error) {
	opts, err := withDefaults(opts, time.Now())
	if err != nil {
		return Traffic{}, err
	}

	h := fnv.New64a()
	h.Write([]byte(opts.Tenant))
	g := &generator{
		opts:     opts,
		rng:      rand.New(rand.NewPCG(uint64(opts.Seed), h.Sum64())),
		expected: make(map[string]Totals, opts.Campaigns),
	}
	g.campaigns = g.newCampaigns()
	g.users = g.newUsers(max(100, opts.Count/4))
	g.zipf = rand.NewZipf(g.rng, 1.1, 2, uint64(len(g.users)-1))

	distinct := g.events()
	events := g.deliver(distinct)
	return Traffic{
		Tenant:     opts.Tenant,
		Events:     events,
		Distinct:   len(distinct),
		Duplicates: len(events) - len(distinct),
		Expected:   g.expected,
	}, nil
}

func withDefaults(opts Options, now time.Time) (Options, error) {
	if opts.Tenant == "" {
		return opts, errors.New("traffic: tenant is required")
	}
	if opts.Count == 0 {
		opts.Count = DefaultCount
	}
	if opts.Campaigns == 0 {
		opts.Campaigns = DefaultCampaigns
	}
	if opts.End.IsZero() {
		opts.End = now
	}
	opts.End = opts.End.UTC().Truncate(time.Millisecond)
	if opts.Start.IsZero() {
		opts.Start = opts.End.Add(-DefaultWindow)
	}
	opts.Start = opts.Start.UTC().Truncate(time.Millisecond)

	switch {
	case opts.Count < 0:
		return opts, fmt.Errorf("traffic: count %d is negative", opts.Count)
	case opts.Campaigns < 0 || opts.Campaigns > MaxCampaigns:
		return opts, fmt.Errorf("traffic: campaigns %d, want 1 to %d", opts.Campaigns,
			MaxCampaigns)
	case opts.End.After(now):
		return opts, fmt.Errorf("traffic: end %s is in the future", opts.End.Format(time.RFC3339))
	case !opts.Start.Before(opts.End):
		return opts, fmt.Errorf("traffic: start %s is not before end %s",
			opts.Start.Format(time.RFC3339), opts.End.Format(time.RFC3339))
	case opts.Start.Before(event.MinOccurredAt):
		return opts, fmt.Errorf("traffic: start %s is before %s", opts.Start.Format(time.RFC3339),
			event.MinOccurredAt.Format(time.RFC3339))
	}
	return opts, nil
}
