package replay

import (
	"fmt"
	"slices"
	"time"

	"github.com/adpulse/adpulse/shared/event"
)

func (r *run) addSent(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.Sent += n
}

func (r *run) addRequest(isRetry bool, latency time.Duration, answered bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.Requests++
	if isRetry {
		r.stats.Retries++
	}
	if answered {
		r.latencies = append(r.latencies, latency)
	}
}

// fail books events given up, with one reason for all of them.
func (r *run) fail(events []event.Event, reason string) {
	if len(events) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.Failed += len(events)
	rej := Rejection{
		EventID: events[0].EventID,
		Reason:  fmt.Sprintf("%s (%d events from this one)", reason, len(events)),
	}
	if r.failure == nil {
		r.failure = &rej
	}
	r.addReasons(rej)
	r.progress(len(events))
}

// firstFailure describes the first events given up.
func (r *run) firstFailure() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failure == nil {
		return "none"
	}
	return r.failure.EventID + ": " + r.failure.Reason
}

// stop ends the run after a fatal answer; the first such error is the one Run returns.
func (r *run) stop(err error) {
	r.mu.Lock()
	if r.stopErr == nil {
		r.stopErr = err
	}
	r.mu.Unlock()
	r.cancel(errStop)
}

// addReasons keeps the first maxReasons reasons; r.mu must be held.
func (r *run) addReasons(rs ...Rejection) {
	room := maxReasons - len(r.stats.Reasons)
	r.stats.Reasons = append(r.stats.Reasons, rs[:min(room, len(rs))]...)
}

// progress advances the bar by n settled events; r.mu must be held.
func (r *run) progress(n int) {
	if r.bar != nil && n > 0 {
		_ = r.bar.Add(n)
	}
}

// finish computes the derived statistics.
func (r *run) finish() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if secs := r.stats.Duration.Seconds(); secs > 0 {
		r.stats.EventsPerSecond = float64(r.stats.Accepted) / secs
	}
	slices.Sort(r.latencies)
	r.stats.P50 = percentile(r.latencies, 50)
	r.stats.P95 = percentile(r.latencies, 95)
	r.stats.P99 = percentile(r.latencies, 99)
}

// percentile returns the nearest-rank percentile p of sorted durations.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 * n)
	return sorted[max(rank, 1)-1]
}
