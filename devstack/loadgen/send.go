package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/adpulse/adpulse/shared/event"
)

// maxAttempts bounds the tries of one batch; the events still retryable then fail.
const maxAttempts = 4

// answer is the part of the ingest answer the generator reads.
type answer struct {
	Accepted int `json:"accepted"`
	Errors   []struct {
		Index     int  `json:"index"`
		Retryable bool `json:"retryable"`
	} `json:"errors"`
}

// send posts one batch (its last event the probe) until nothing in it is retryable.
func (r *run) send(ctx context.Context, b []event.Event, p *poller) {
	r.add(func(res *Result) { res.Sent += len(b) })
	pending := b
	for attempt := 1; len(pending) > 0; attempt++ {
		ans, status, err := r.post(ctx, pending)
		now := time.Now()
		var again []event.Event
		switch {
		case err != nil || status == http.StatusTooManyRequests || status >= 500 &&
			status != http.StatusServiceUnavailable:
			again = pending
		default:
			rejected := 0
			for _, e := range ans.Errors {
				if e.Index < 0 || e.Index >= len(pending) {
					continue
				}
				if e.Retryable {
					again = append(again, pending[e.Index])
				} else {
					rejected++
				}
			}
			if isProbe(pending[len(pending)-1]) && !listed(ans, len(pending)-1) && status < 300 {
				p.accepted(now)
			}
			r.add(func(res *Result) {
				res.Accepted += ans.Accepted
				res.Rejected += rejected
				if ans.Accepted > 0 {
					res.LastAcceptedAt = now
				}
			})
		}
		if attempt == maxAttempts || ctx.Err() != nil {
			r.add(func(res *Result) { res.Failed += len(again) })
			return
		}
		pending = again
		if len(pending) > 0 {
			time.Sleep(time.Duration(attempt) * 100 * time.Millisecond)
		}
	}
}

func isProbe(e event.Event) bool { return e.CampaignID == ProbeCampaign }

// listed reports whether the answer lists the event at index as not accepted.
func listed(a answer, index int) bool {
	for _, e := range a.Errors {
		if e.Index == index {
			return true
		}
	}
	return false
}

// post sends one request and decodes its answer.
func (r *run) post(ctx context.Context, evs []event.Event) (answer, int, error) {
	body, err := json.Marshal(evs)
	if err != nil {
		return answer{}, 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.endpoint,
		bytes.NewReader(body))
	if err != nil {
		return answer{}, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", r.opts.APIKey)

	start := time.Now()
	resp, err := r.opts.Client.Do(req)
	if err != nil {
		return answer{}, 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	r.add(func(res *Result) { res.Requests++ })
	r.mu.Lock()
	r.latencies = append(r.latencies, time.Since(start))
	r.mu.Unlock()
	if err != nil {
		return answer{}, resp.StatusCode, err
	}
	var a answer
	_ = json.Unmarshal(raw, &a)
	return a, resp.StatusCode, nil
}

// add changes the result under the lock.
func (r *run) add(f func(*Result)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(&r.res)
}
