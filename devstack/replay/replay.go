package replay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/adpulse/adpulse/shared/event"
)

// Defaults and bounds of Options.
const (
	DefaultBatchSize   = event.MaxBatchEvents
	DefaultSenders     = 4
	DefaultMaxAttempts = 5
	DefaultRetryBase   = 200 * time.Millisecond
	MaxRetryDelay      = 5 * time.Second
	// MaxBodyBytes is the largest request body sent, uncompressed: a little under the
	// 1 MiB that ingest accepts (ingest.MaxBodyBytes), leaving room to spare.
	MaxBodyBytes = 1_000_000
	// BatchPath is where batches are posted, under Options.APIURL.
	BatchPath = "/v1/events/batch"
)

// maxReasons is how many rejection reasons Stats keeps.
const maxReasons = 10

// Options says what to send where.
type Options struct {
	APIURL      string        // base URL of the API, e.g. http://127.0.0.1:3000
	APIKey      string        // sent as x-api-key
	Events      []event.Event // sent in this order, batch by batch
	BatchSize   int           // events per request; default and maximum event.MaxBatchEvents
	Senders     int           // concurrent requests; default DefaultSenders
	Gzip        bool          // gzip request bodies (Content-Encoding: gzip)
	Progress    io.Writer     // where the progress bar is drawn; nil draws none
	MaxAttempts int           // tries per request, the first included; default 5
	RetryBase   time.Duration // first retry delay, doubled per try; default 200 ms
	Client      *http.Client  // default http.DefaultClient
}

// Rejection is one event the API refused for good.
type Rejection struct {
	EventID string `json:"event_id"`
	Field   string `json:"field,omitempty"`
	Reason  string `json:"reason"`
}

// Stats is what a run did. Every event ends as accepted, rejected or failed.
type Stats struct {
	Sent            int           // events given to Run and put on the wire at least once
	Accepted        int           // events the API accepted
	Rejected        int           // events the API refused for good (validation)
	Failed          int           // events given up: retries exhausted, or the run stopped
	Reasons         []Rejection   // the first few rejections and failures
	Requests        int           // HTTP requests made, retries included
	Retries         int           // requests that were retries
	Duration        time.Duration // wall time of the run
	EventsPerSecond float64       // accepted events per second of Duration
	P50, P95, P99   time.Duration // request latency percentiles
	LastAcceptedAt  time.Time     // when the last answer accepting events arrived
}

// answer is the ingest function's per-event answer: the body of a 202, and of a 400 or
// 503 when no event was accepted because of the events themselves.
type answer struct {
	Accepted int           `json:"accepted"`
	Rejected int           `json:"rejected"`
	Errors   []answerError `json:"errors"`

	retryAfter time.Duration // from the Retry-After header
}

type answerError struct {
	Index     int    `json:"index"`
	EventID   string `json:"event_id"`
	Field     string `json:"field"`
	Reason    string `json:"reason"`
	Retryable bool   `json:"retryable"`
}

// StatusError is an answer about the request as a whole, such as a wrong key (401) or a
// body that is too large (413). It stops the run, except for 429 and 5xx, which are
// retried.
type StatusError struct {
	Status int
	Body   string // the start of the answer body
}

// Error returns the status and the start of the body.
func (e *StatusError) Error() string {
	return fmt.Sprintf("ingest answered %d %s: %s", e.Status, http.StatusText(e.Status), e.Body)
}

// Run sends opts.Events and reports what happened. It returns an error when the options
// are wrong, when the API answers with a status that retrying cannot fix (then the run
// stops early), or when ctx ends; Stats describes the run so far in every case.
func Run(ctx context.Context, opts Options) (Stats, error) {
	opts, endpoint, err := withDefaults(opts)
	if err != nil {
		return Stats{}, err
	}
	batches, err := split(opts.Events, opts.BatchSize)
	if err != nil {
		return Stats{}, err
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r := &run{opts: opts, endpoint: endpoint, cancel: cancel, bar: newBar(opts)}
	start := time.Now()
	r.sendAll(ctx, batches)
	r.stats.Duration = time.Since(start)
	if r.bar != nil {
		_ = r.bar.Exit()
	}

	r.finish()
	if cause := context.Cause(ctx); cause != nil {
		if errors.Is(cause, errStop) && r.stopErr != nil {
			return r.stats, r.stopErr
		}
		return r.stats, fmt.Errorf("replay stopped: %w", cause)
	}
	if r.stats.Failed > 0 {
		return r.stats, fmt.Errorf("replay: %d of %d events not delivered, first: %s",
			r.stats.Failed, len(opts.Events), r.firstFailure())
	}
	return r.stats, nil
}

var errStop = errors.New("stopped by a fatal answer")

func withDefaults(opts Options) (Options, string, error) {
	u, err := url.Parse(opts.APIURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return opts, "", fmt.Errorf("replay: API URL %q is not an http(s) URL", opts.APIURL)
	}
	if !isLoopback(u.Hostname()) {
		return opts, "", fmt.Errorf("replay: API URL host %q is not a loopback address",
			u.Hostname())
	}
	if opts.BatchSize <= 0 || opts.BatchSize > event.MaxBatchEvents {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.Senders <= 0 {
		opts.Senders = DefaultSenders
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.RetryBase <= 0 {
		opts.RetryBase = DefaultRetryBase
	}
	if opts.Client == nil {
		opts.Client = http.DefaultClient
	}
	return opts, u.JoinPath(BatchPath).String(), nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func newBar(opts Options) *progressbar.ProgressBar {
	if opts.Progress == nil {
		return nil
	}
	return progressbar.NewOptions64(int64(len(opts.Events)),
		progressbar.OptionSetWriter(opts.Progress),
		progressbar.OptionSetDescription("replay"),
		progressbar.OptionSetItsString("events"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
	)
}

// batch is a slice of events encoded once, ready to be joined into a body.
type batch struct {
	events  []event.Event
	encoded [][]byte
}

// split cuts events into batches of at most size events and MaxBodyBytes of JSON.
func split(events []event.Event, size int) ([]batch, error) {
	var out []batch
	var cur batch
	bytes := 2 // the brackets
	for i := range events {
		data, err := json.Marshal(events[i])
		if err != nil {
			return nil, fmt.Errorf("replay: encode event %d (%s): %w", i, events[i].EventID, err)
		}
		if len(data)+2 > MaxBodyBytes {
			return nil, fmt.Errorf("replay: event %d (%s) is %d bytes, too large for a body",
				i, events[i].EventID, len(data))
		}
		full := len(cur.events) == size || bytes+len(data)+1 > MaxBodyBytes
		if len(cur.events) > 0 && full {
			out = append(out, cur)
			cur, bytes = batch{}, 2
		}
		cur.events = append(cur.events, events[i])
		cur.encoded = append(cur.encoded, data)
		bytes += len(data) + 1
	}
	if len(cur.events) > 0 {
		out = append(out, cur)
	}
	return out, nil
}

// run holds the shared state of one Run.
type run struct {
	opts     Options
	endpoint string
	cancel   context.CancelCauseFunc
	bar      *progressbar.ProgressBar

	mu        sync.Mutex
	stats     Stats
	latencies []time.Duration
	stopErr   error
	failure   *Rejection // the first events given up, kept even when Reasons is full
}

// sendAll feeds the batches to opts.Senders workers and waits for them.
func (r *run) sendAll(ctx context.Context, batches []batch) {
	work := make(chan batch)
	var wg sync.WaitGroup
	for range r.opts.Senders {
		wg.Go(func() {
			for b := range work {
				r.sendBatch(ctx, b)
			}
		})
	}

	for i, b := range batches {
		select {
		case work <- b:
		case <-ctx.Done():
			for _, rest := range batches[i:] {
				r.fail(rest.events, "not sent: "+context.Cause(ctx).Error())
			}
			close(work)
			wg.Wait()
			return
		}
	}
	close(work)
	wg.Wait()
}
