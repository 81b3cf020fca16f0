package loadgen

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// errSettle says the settle time ran out before every probe was visible.
var errSettle = errors.New("loadgen: probes still not visible when the settle time ran out")

// poller watches the probe campaign's totals.
type poller struct {
	opts Options

	mu      sync.Mutex
	accepts []time.Time // when each accepted probe was answered
	visible []time.Time // visible[i]: when the totals first counted i+1 probes
	base    int64       // probes counted before the run
}

// baseline reads how many probes earlier runs left in the totals.
func (p *poller) baseline(ctx context.Context) error {
	c, err := p.opts.Totals.Campaign(ctx, p.opts.Tenant, ProbeCampaign)
	if err != nil {
		return err
	}
	p.base = c.Totals.Impressions
	return nil
}

func newPoller(o Options) *poller { return &poller{opts: o} }

func (p *poller) accepted(t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.accepts = append(p.accepts, t)
}

// run reads the probe campaign's impressions every PollEvery until ctx ends.
func (p *poller) run(ctx context.Context) {
	tick := time.NewTicker(p.opts.PollEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		c, err := p.opts.Totals.Campaign(ctx, p.opts.Tenant, ProbeCampaign)
		if err != nil {
			continue
		}
		now := time.Now()
		p.mu.Lock()
		for n := int64(len(p.visible)); n < c.Totals.Impressions-p.base; n++ {
			p.visible = append(p.visible, now)
		}
		p.mu.Unlock()
	}
}

// waitAll waits until the totals count every accepted probe, for at most d.
func (p *poller) waitAll(ctx context.Context, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		p.mu.Lock()
		done := len(p.visible) >= len(p.accepts)
		p.mu.Unlock()
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return errSettle
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(p.opts.PollEvery):
		}
	}
}

// finish computes the derived figures.
func (r *run) finish(p *poller, sendEnd time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := &r.res
	if res.Seconds > 0 {
		res.EventsPerSecond = float64(res.Accepted) / res.Seconds
	}
	slices.Sort(r.latencies)
	res.P50, res.P95, res.P99 = ms(pct(r.latencies, 50)), ms(pct(r.latencies, 95)),
		ms(pct(r.latencies, 99))

	p.mu.Lock()
	defer p.mu.Unlock()
	accepts := slices.Clone(p.accepts)
	slices.SortFunc(accepts, func(a, b time.Time) int { return a.Compare(b) })
	var fresh []time.Duration
	for i, a := range accepts {
		if i >= len(p.visible) {
			break
		}
		fresh = append(fresh, max(0, p.visible[i].Sub(a)))
	}
	slices.Sort(fresh)
	res.Probes, res.ProbesSeen = len(accepts), len(fresh)
	res.FreshP50, res.FreshP99 = ms(pct(fresh, 50)), ms(pct(fresh, 99))
	if len(fresh) > 0 {
		res.FreshMax = ms(fresh[len(fresh)-1])
	}
	if n := len(p.visible); n > 0 {
		res.SettledSeconds = max(0, p.visible[n-1].Sub(sendEnd).Seconds())
	}
}

// pct returns the nearest-rank percentile of sorted durations.
func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100
	return sorted[max(rank, 1)-1]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
