package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/adpulse/adpulse/shared/event"
	"github.com/adpulse/adpulse/shared/totals"
	"github.com/adpulse/adpulse/shared/traffic"
)

// Defaults of Options.
const (
	DefaultSenders   = 8
	DefaultBatchSize = 500
	DefaultPollEvery = 50 * time.Millisecond
	DefaultSettle    = 90 * time.Second
	ProbeCampaign    = "bench-probe"
)

// Options says what load to send where, and its limits.
type Options struct {
	APIURL    string         // loopback base URL of the API
	APIKey    string         // the tenant's ingest key
	Tenant    string         // the key's tenant
	Totals    *totals.Reader // reads the probe campaign's totals
	Rate      float64        // target events per second; 0: as fast as the stack answers
	MaxEvents int            // count limit (generated events); required
	Duration  time.Duration  // time limit of the sending; required
	Settle    time.Duration  // after sending, how long to wait for every probe to show
	Senders   int            // concurrent requests; default DefaultSenders
	BatchSize int            // events per request, the probe included; default 500
	Campaigns int            // campaigns of the generated traffic; default traffic's
	Seed      int64
	PollEvery time.Duration // default DefaultPollEvery
	Client    *http.Client  // default: a client with a 30 s timeout
}

// Result is what one run measured. Durations are in milliseconds.
type Result struct {
	Sent            int     `json:"sent"`
	Accepted        int     `json:"accepted"`
	Rejected        int     `json:"rejected"`
	Failed          int     `json:"failed"`
	Requests        int     `json:"requests"`
	Seconds         float64 `json:"seconds"`
	EventsPerSecond float64 `json:"events_per_second"`
	P50             float64 `json:"p50_ms"`
	P95             float64 `json:"p95_ms"`
	P99             float64 `json:"p99_ms"`
	Probes          int     `json:"probes"`      // probes accepted
	ProbesSeen      int     `json:"probes_seen"` // probes counted in the totals before Settle ran out
	FreshP50        float64 `json:"fresh_p50_ms"`
	FreshP99        float64 `json:"fresh_p99_ms"`
	FreshMax        float64 `json:"fresh_max_ms"`
	SettledSeconds  float64 `json:"settled_seconds"` // end of sending → last probe visible

	LastAcceptedAt time.Time `json:"-"`
}

// Run sends the load and measures it. It returns when the count or time limit is reached
// and every accepted probe is visible (or Settle ran out), or ctx ends.
func Run(ctx context.Context, opts Options) (Result, error) {
	opts, err := withDefaults(opts)
	if err != nil {
		return Result{}, err
	}
	batches, err := makeBatches(opts)
	if err != nil {
		return Result{}, err
	}

	r := &run{opts: opts, endpoint: opts.APIURL + "/v1/events/batch"}
	probe := newPoller(opts)
	if err := probe.baseline(ctx); err != nil {
		return Result{}, fmt.Errorf("read probe totals: %w", err)
	}
	pollCtx, stopPoll := context.WithCancel(ctx)
	defer stopPoll()
	go probe.run(pollCtx)

	// Send, paced and bounded.
	sendCtx, cancel := context.WithTimeout(ctx, opts.Duration)
	defer cancel()
	begin := time.Now()
	r.sendAll(sendCtx, batches, probe)
	r.res.Seconds = time.Since(begin).Seconds()
	sendEnd := time.Now()
	if ctx.Err() != nil {
		return r.res, ctx.Err()
	}

	// Wait until every accepted probe is counted.
	if err := probe.waitAll(ctx, opts.Settle); err != nil && !errors.Is(err, errSettle) {
		return r.res, err
	}
	stopPoll()
	r.finish(probe, sendEnd)
	return r.res, nil
}

func withDefaults(o Options) (Options, error) {
	u, err := url.Parse(o.APIURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return o, fmt.Errorf("loadgen: API URL %q is not an http(s) URL", o.APIURL)
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return o, fmt.Errorf("loadgen: API URL host %q is not a loopback address", u.Hostname())
	}
	if o.MaxEvents <= 0 || o.Duration <= 0 {
		return o, errors.New("loadgen: both a count limit and a time limit are required")
	}
	if o.Totals == nil || o.Tenant == "" {
		return o, errors.New("loadgen: a totals reader and the tenant are required")
	}
	o.Senders = cmpOr(o.Senders, DefaultSenders)
	o.BatchSize = min(cmpOr(o.BatchSize, DefaultBatchSize), event.MaxBatchEvents)
	o.PollEvery = cmpOr(o.PollEvery, DefaultPollEvery)
	o.Settle = cmpOr(o.Settle, DefaultSettle)
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 30 * time.Second}
	}
	return o, nil
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// makeBatches generates the traffic and cuts it into batches, each ending with a probe.
func makeBatches(o Options) ([][]event.Event, error) {
	end := time.Now().UTC()
	tr, err := traffic.Generate(traffic.Options{Tenant: o.Tenant, Count: o.MaxEvents,
		Seed: o.Seed, Campaigns: o.Campaigns, Start: end.Add(-15 * time.Minute), End: end})
	if err != nil {
		return nil, fmt.Errorf("generate traffic: %w", err)
	}
	per := o.BatchSize - 1
	var out [][]event.Event
	for i := 0; i < len(tr.Events); i += per {
		b := slices.Clip(tr.Events[i:min(i+per, len(tr.Events))])
		out = append(out, b)
	}
	return out, nil
}

// run is the sending state of one Run.
type run struct {
	opts      Options
	endpoint  string
	mu        sync.Mutex
	res       Result
	latencies []time.Duration
}

// sendAll paces the batches at the target rate over the senders until they run out or
// ctx ends.
func (r *run) sendAll(ctx context.Context, batches [][]event.Event, p *poller) {
	work := make(chan []event.Event)
	var wg sync.WaitGroup
	for range r.opts.Senders {
		wg.Go(func() {
			for b := range work {
				r.send(ctx, b, p)
			}
		})
	}

	start := time.Now()
	sent := 0
	for i, b := range batches {
		if r.opts.Rate > 0 {
			due := start.Add(time.Duration(float64(sent) / r.opts.Rate * float64(time.Second)))
			if !sleepUntil(ctx, due) {
				break
			}
		}
		b = append(b, probeEvent(r.opts.Seed, i))
		select {
		case work <- b:
			sent += len(b)
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()
}

func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// probeEvent is the i-th probe impression: a campaign of its own, a unique id, now.
func probeEvent(seed int64, i int) event.Event {
	return event.Event{EventID: fmt.Sprintf("probe-%d-%d-%d", seed, time.Now().UnixNano(), i),
		Type: event.Impression, CampaignID: ProbeCampaign, AdID: ProbeCampaign + "-ad",
		UserID: "probe", OccurredAt: time.Now().UTC(), Channel: event.Display}
}
