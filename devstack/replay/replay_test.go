package replay_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/adpulse/adpulse/devstack/replay"
	"github.com/adpulse/adpulse/shared/event"
)

const testKey = "test-key-not-a-secret"

// makeEvents returns n valid impressions; pad adds that many bytes of attributes each.
func makeEvents(n, pad int) []event.Event {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	events := make([]event.Event, n)
	for i := range events {
		events[i] = event.Event{
			EventID: fmt.Sprintf("ev-%05d", i), Type: event.Impression, CampaignID: "cmp-1",
			AdID: "ad-1", UserID: "u-1", OccurredAt: at, CostMicros: 2000, Currency: "USD",
		}
		if pad > 0 {
			events[i].Attributes = make(map[string]string)
			for k, left := 0, pad; left > 0; k++ {
				size := min(left, event.MaxAttributeValLen)
				events[i].Attributes[fmt.Sprintf("k%02d", k)] = strings.Repeat("x", size)
				left -= size
			}
		}
	}
	return events
}

// request is what the fake ingest saw of one request.
type request struct {
	bodyBytes int // as sent, before gunzip
	gzip      bool
	ids       []string
}

// fakeIngest is an ingest API double. answer decides each answer; the default accepts all.
type fakeIngest struct {
	t      *testing.T
	mu     sync.Mutex
	seen   []request
	answer func(n int, ids []string) (status int, body any)
}

func (f *fakeIngest) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/events/batch" || r.Method != http.MethodPost {
		http.Error(w, "wrong route "+r.Method+" "+r.URL.Path, http.StatusNotFound)
		return
	}
	if r.Header.Get("x-api-key") != testKey {
		http.Error(w, `{"error":"unknown or revoked API key"}`, http.StatusUnauthorized)
		return
	}
	raw, _ := io.ReadAll(r.Body)
	req := request{bodyBytes: len(raw), gzip: r.Header.Get("Content-Encoding") == "gzip"}
	body := raw
	if req.gzip {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			http.Error(w, "bad gzip", http.StatusBadRequest)
			return
		}
		body, _ = io.ReadAll(zr)
	}
	raws, err := event.SplitBatch(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for _, r := range raws {
		var e struct {
			EventID string `json:"event_id"`
		}
		_ = json.Unmarshal(r, &e)
		req.ids = append(req.ids, e.EventID)
	}

	f.mu.Lock()
	f.seen = append(f.seen, req)
	n := len(f.seen)
	f.mu.Unlock()

	status, answer := http.StatusAccepted, any(map[string]any{"accepted": len(req.ids)})
	if f.answer != nil {
		status, answer = f.answer(n, req.ids)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(answer)
}

func (f *fakeIngest) requests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.seen...)
}

// timesSeen counts how often the fake saw each event id.
func (f *fakeIngest) timesSeen() map[string]int {
	counts := make(map[string]int)
	for _, r := range f.requests() {
		for _, id := range r.ids {
			counts[id]++
		}
	}
	return counts
}

func start(t *testing.T, f *fakeIngest) string {
	t.Helper()
	f.t = t
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv.URL
}

func options(url string, events []event.Event) replay.Options {
	return replay.Options{
		APIURL: url, APIKey: testKey, Events: events, RetryBase: time.Millisecond,
	}
}

func TestRunSplitsBatches(t *testing.T) {
	tests := []struct {
		name         string
		events       []event.Event
		batchSize    int
		gzip         bool
		wantRequests int
	}{
		{"by count", makeEvents(1234, 0), 0, false, 3},
		{"by a smaller batch size", makeEvents(100, 0), 30, false, 4},
		{"batch size above the limit", makeEvents(1001, 0), 5000, false, 3},
		{"by body size", makeEvents(600, 5000), 0, false, 4},
		{"gzip", makeEvents(1234, 1000), 0, true, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeIngest{}
			opts := options(start(t, f), tc.events)
			opts.BatchSize, opts.Gzip = tc.batchSize, tc.gzip
			stats, err := replay.Run(context.Background(), opts)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}

			reqs := f.requests()
			if len(reqs) != tc.wantRequests {
				t.Errorf("got %d requests, want %d", len(reqs), tc.wantRequests)
			}
			for _, r := range reqs {
				if len(r.ids) > event.MaxBatchEvents || r.bodyBytes > replay.MaxBodyBytes {
					t.Errorf("got a request of %d events, %d bytes", len(r.ids), r.bodyBytes)
				}
				if r.gzip != tc.gzip {
					t.Errorf("got gzip %v, want %v", r.gzip, tc.gzip)
				}
			}
			seen := f.timesSeen()
			for _, e := range tc.events {
				if seen[e.EventID] != 1 {
					t.Fatalf("%s arrived %d times, want once", e.EventID, seen[e.EventID])
				}
			}
			want := len(tc.events)
			if stats.Sent != want || stats.Accepted != want || stats.Requests != len(reqs) {
				t.Errorf("got sent %d, accepted %d, requests %d; want %d, %d, %d",
					stats.Sent, stats.Accepted, stats.Requests, want, want, len(reqs))
			}
		})
	}
}

// errorsFor answers like ingest, with one per-event error for each event pick chooses:
// 202 if any event was accepted, else 503 if any may be sent again, else 400.
func errorsFor(ids []string, pick func(i int, id string) (bool, bool)) (int, any) {
	var errs []map[string]any
	status := http.StatusBadRequest
	for i, id := range ids {
		bad, retryable := pick(i, id)
		if !bad {
			continue
		}
		errs = append(errs, map[string]any{"index": i, "event_id": id,
			"field": "cost_micros", "reason": "test says no", "retryable": retryable})
		if retryable {
			status = http.StatusServiceUnavailable
		}
	}
	if len(errs) < len(ids) {
		status = http.StatusAccepted
	}
	return status, map[string]any{
		"accepted": len(ids) - len(errs), "rejected": len(errs), "errors": errs,
		"request_id": "req-1",
	}
}

func TestRunResendsOnlyRetryableEvents(t *testing.T) {
	f := &fakeIngest{}
	var mu sync.Mutex
	failed := make(map[string]bool)
	f.answer = func(_ int, ids []string) (int, any) {
		mu.Lock()
		defer mu.Unlock()
		return errorsFor(ids, func(i int, id string) (bool, bool) {
			// Every third event is throttled on its first delivery only.
			if i%3 != 0 || failed[id] {
				return false, false
			}
			failed[id] = true
			return true, true
		})
	}
	events := makeEvents(90, 0)
	opts := options(start(t, f), events)
	opts.BatchSize = 30
	stats, err := replay.Run(context.Background(), opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}

	seen := f.timesSeen()
	for _, e := range events {
		want := 1
		if failed[e.EventID] {
			want = 2
		}
		if seen[e.EventID] != want {
			t.Errorf("%s sent %d times, want %d", e.EventID, seen[e.EventID], want)
		}
	}
	got := [4]int{stats.Accepted, stats.Rejected, stats.Failed, stats.Retries}
	if want := [4]int{90, 0, 0, len(f.requests()) - 3}; got != want {
		t.Errorf("got accepted, rejected, failed, retries %v, want %v", got, want)
	}
}

func TestRunCountsRejections(t *testing.T) {
	f := &fakeIngest{answer: func(_ int, ids []string) (int, any) {
		return errorsFor(ids, func(i int, _ string) (bool, bool) { return i%10 == 0, false })
	}}
	events := makeEvents(200, 0)
	opts := options(start(t, f), events)
	opts.BatchSize = 100
	stats, err := replay.Run(context.Background(), opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}

	got := [5]int{stats.Sent, stats.Accepted, stats.Rejected, stats.Failed, stats.Requests}
	if want := [5]int{200, 180, 20, 0, 2}; got != want {
		t.Errorf("got sent, accepted, rejected, failed, requests %v, want %v", got, want)
	}
	if len(stats.Reasons) != 10 {
		t.Fatalf("got %d reasons, want the first 10", len(stats.Reasons))
	}
	r := stats.Reasons[0]
	if r.Field != "cost_micros" || r.Reason != "test says no" || r.EventID == "" {
		t.Errorf("got reason %+v, want field, reason and event id", r)
	}
	if stats.LastAcceptedAt.IsZero() || stats.P50 <= 0 || stats.P99 < stats.P50 {
		t.Errorf("got last accepted %v, p50 %v, p99 %v", stats.LastAcceptedAt, stats.P50,
			stats.P99)
	}
}

func TestRunReadsPerEventAnswersOf400And503(t *testing.T) {
	f := &fakeIngest{}
	var mu sync.Mutex
	throttled := make(map[string]bool)
	f.answer = func(_ int, ids []string) (int, any) {
		mu.Lock()
		defer mu.Unlock()
		return errorsFor(ids, func(_ int, id string) (bool, bool) {
			switch {
			case strings.HasPrefix(id, "ev-000"): // the first batch: all invalid, 400
				return true, false
			case !throttled[id]: // the second batch: all throttled once, 503
				throttled[id] = true
				return true, true
			}
			return false, false
		})
	}
	opts := options(start(t, f), makeEvents(200, 0))
	opts.BatchSize, opts.Senders = 100, 1
	stats, err := replay.Run(context.Background(), opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}

	got := [5]int{stats.Accepted, stats.Rejected, stats.Failed, stats.Requests, stats.Retries}
	if want := [5]int{100, 100, 0, 3, 1}; got != want {
		t.Errorf("got accepted, rejected, failed, requests, retries %v, want %v", got, want)
	}
}

func TestRunRetriesTransientFailures(t *testing.T) {
	tests := []struct {
		name        string
		fail        func(w http.ResponseWriter)
		maxAttempts int
		wantErr     bool
	}{
		{"throttled", func(w http.ResponseWriter) {
			http.Error(w, "slow down", http.StatusTooManyRequests)
		}, 0, false},
		{"server error", func(w http.ResponseWriter) {
			http.Error(w, "oops", http.StatusServiceUnavailable)
		}, 0, false},
		{"connection dropped", func(http.ResponseWriter) { panic(http.ErrAbortHandler) }, 0,
			false},
		{"attempts exhausted", func(w http.ResponseWriter) {
			http.Error(w, "oops", http.StatusBadGateway)
		}, 2, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeIngest{}
			var mu sync.Mutex
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter,
				r *http.Request) {
				mu.Lock()
				calls++
				n := calls
				mu.Unlock()
				if n <= 2 {
					tc.fail(w)
					return
				}
				f.ServeHTTP(w, r)
			}))
			t.Cleanup(srv.Close)

			opts := options(srv.URL, makeEvents(10, 0))
			opts.MaxAttempts = tc.maxAttempts
			stats, err := replay.Run(context.Background(), opts)
			if gotErr := err != nil; gotErr != tc.wantErr {
				t.Fatalf("got error %v, want error %v", err, tc.wantErr)
			}
			wantAccepted, wantFailed := 10, 0
			if tc.wantErr {
				wantAccepted, wantFailed = 0, 10
				if !strings.Contains(err.Error(), "gave up after 2 attempts") {
					t.Errorf("got error %q, want it to say it gave up", err)
				}
			}
			if stats.Accepted != wantAccepted || stats.Failed != wantFailed {
				t.Errorf("got accepted %d, failed %d; want %d, %d", stats.Accepted,
					stats.Failed, wantAccepted, wantFailed)
			}
		})
	}
}

func TestRunStopsOnFatalAnswers(t *testing.T) {
	tests := []struct {
		name       string
		key        string
		answer     func(int, []string) (int, any)
		wantStatus int
	}{
		{"unknown key", "wrong-key", nil, http.StatusUnauthorized},
		{"body too large", testKey, func(int, []string) (int, any) {
			return http.StatusRequestEntityTooLarge, map[string]string{"error": "too large"}
		}, http.StatusRequestEntityTooLarge},
		{"bad request", testKey, func(int, []string) (int, any) {
			return http.StatusBadRequest, map[string]string{"error": "not an array"}
		}, http.StatusBadRequest},
		{"unsupported media type", testKey, func(int, []string) (int, any) {
			return http.StatusUnsupportedMediaType, map[string]string{"error": "json only"}
		}, http.StatusUnsupportedMediaType},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeIngest{answer: tc.answer}
			opts := options(start(t, f), makeEvents(5000, 0))
			opts.APIKey, opts.Senders = tc.key, 2
			stats, err := replay.Run(context.Background(), opts)

			var statusErr *replay.StatusError
			if !errors.As(err, &statusErr) || statusErr.Status != tc.wantStatus {
				t.Fatalf("got error %v, want a StatusError %d", err, tc.wantStatus)
			}
			if stats.Requests > 4 {
				t.Errorf("got %d requests, want the run to stop at once", stats.Requests)
			}
			if stats.Accepted+stats.Failed != 5000 {
				t.Errorf("got accepted %d + failed %d, want all 5000 accounted for",
					stats.Accepted, stats.Failed)
			}
		})
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	begin := time.Now()
	stats, err := replay.Run(ctx, options(srv.URL, makeEvents(5000, 0)))
	if took := time.Since(begin); took > 2*time.Second {
		t.Errorf("Run took %v after cancel, want it to stop quickly", took)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got error %v, want the context's", err)
	}
	if stats.Failed != 5000 {
		t.Errorf("got failed %d, want 5000", stats.Failed)
	}
}

func TestRunRejectsOptions(t *testing.T) {
	tests := []struct {
		name, url, want string
	}{
		{"remote host", "https://api.example.com", "not a loopback"},
		{"not a URL", "127.0.0.1:3000", "not an http(s) URL"},
		{"empty", "", "not an http(s) URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := replay.Run(context.Background(), options(tc.url, makeEvents(1, 0)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestRunDrawsProgress(t *testing.T) {
	f := &fakeIngest{}
	var bar bytes.Buffer
	opts := options(start(t, f), makeEvents(1000, 0))
	opts.Progress = &bar
	if _, err := replay.Run(context.Background(), opts); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := bar.String(); !strings.Contains(got, "1000/1000") {
		t.Errorf("got progress %q, want it to reach 1000/1000", got)
	}
}
