package esm

import (
	"context"
	"fmt"
	"time"
)

// Probe is a snapshot of how settled a set of pollers is.
type Probe struct {
	Busy         bool      // a record is buffered or an invocation is in flight
	LastEmpty    time.Time // oldest of the pollers' latest empty reads (zero: none yet)
	LastActivity time.Time // newest record read or delivered
}

// Merge combines the probes of two sets of pollers.
func (p Probe) Merge(o Probe) Probe {
	out := Probe{Busy: p.Busy || o.Busy, LastEmpty: p.LastEmpty, LastActivity: p.LastActivity}
	if o.LastEmpty.Before(out.LastEmpty) {
		out.LastEmpty = o.LastEmpty
	}
	if o.LastActivity.After(out.LastActivity) {
		out.LastActivity = o.LastActivity
	}
	return out
}

// Probe returns the mapping's current state.
func (m *Mapping) Probe() Probe {
	probe := Probe{LastEmpty: farFuture}
	for _, p := range m.pollers {
		probe = probe.Merge(p.probe())
	}
	return probe
}

// farFuture is the neutral element of Probe.LastEmpty for Merge.
var farFuture = time.Unix(1<<40, 0)

// Idle reports whether every poller has read to the end of its shard, holds no
// unprocessed record, and has no invocation in flight.
func (m *Mapping) Idle() bool {
	p := m.Probe()
	return !p.Busy && !p.LastEmpty.IsZero()
}

// WaitIdle waits until the mapping has been idle for quiet without interruption, every
// poller having found its shard empty within that time: every record put before the
// call has then been delivered (or given up).
func (m *Mapping) WaitIdle(ctx context.Context, quiet time.Duration) error {
	return WaitIdle(ctx, quiet, m.Probe)
}

// WaitIdle waits until probe reports no activity for quiet and an empty read of every
// shard after the quiet period began. It serves one mapping or a whole stack.
func WaitIdle(ctx context.Context, quiet time.Duration, probe func() Probe) error {
	start := time.Now()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		now := time.Now()
		p := probe()
		switch {
		case p.Busy || !p.LastActivity.Before(start):
			start = now // activity: the quiet period starts over
		case !p.LastEmpty.Before(start) && now.Sub(start) >= quiet:
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for the event source mapping to settle: %w", ctx.Err())
		case <-tick.C:
		}
	}
}
