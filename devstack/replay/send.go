package replay

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxAnswerBytes bounds how much of an answer is read.
const maxAnswerBytes = 1 << 20

// retryableError is a failure worth another try: a network error, 429 or 5xx.
type retryableError struct {
	err        error
	retryAfter time.Duration
}

func (e *retryableError) Error() string { return e.err.Error() }

// sendBatch posts one batch until every event in it is accepted, rejected or given up.
func (r *run) sendBatch(ctx context.Context, b batch) {
	r.addSent(len(b.events))
	pending := b
	var last error
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			if err := r.wait(ctx, attempt, last); err != nil {
				r.fail(pending.events, "not sent: "+err.Error())
				return
			}
		}

		ans, err := r.post(ctx, pending, attempt > 1)
		var retry *retryableError
		switch {
		case ctx.Err() != nil:
			r.fail(pending.events, "not sent: "+context.Cause(ctx).Error())
			return
		case errors.As(err, &retry):
			last = err
		case err != nil:
			r.stop(err)
			r.fail(pending.events, err.Error())
			return
		default:
			pending = r.settle(pending, ans)
			if len(pending.events) == 0 {
				return
			}
			last = &retryableError{
				err:        fmt.Errorf("%d events answered retryable", len(pending.events)),
				retryAfter: ans.retryAfter,
			}
		}

		if attempt == r.opts.MaxAttempts {
			r.fail(pending.events, fmt.Sprintf("gave up after %d attempts: %v", attempt, last))
			return
		}
	}
}

// wait sleeps before another attempt: exponential backoff with jitter, at least what a
// Retry-After header asked, at most MaxRetryDelay. It returns early when ctx ends.
func (r *run) wait(ctx context.Context, attempt int, last error) error {
	d := r.opts.RetryBase << (attempt - 2)
	if d <= 0 || d > MaxRetryDelay {
		d = MaxRetryDelay
	}
	d = d/2 + rand.N(d/2+1)
	var retry *retryableError
	if errors.As(last, &retry) && retry.retryAfter > d {
		d = min(retry.retryAfter, MaxRetryDelay)
	}

	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// post sends one request and sorts its outcome: an answer to settle, a retryableError,
// or a fatal error.
func (r *run) post(ctx context.Context, b batch, isRetry bool) (answer, error) {
	body, err := r.body(b)
	if err != nil {
		return answer{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.endpoint,
		bytes.NewReader(body))
	if err != nil {
		return answer{}, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", r.opts.APIKey)
	if r.opts.Gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}

	start := time.Now()
	resp, err := r.opts.Client.Do(req)
	r.addRequest(isRetry, time.Since(start), err == nil)
	if err != nil {
		return answer{}, &retryableError{err: fmt.Errorf("post batch: %w", err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return answer{}, &retryableError{err: fmt.Errorf("read answer: %w", err)}
	}
	return decodeAnswer(resp, raw)
}

func (r *run) body(b batch) ([]byte, error) {
	var buf bytes.Buffer
	var w io.Writer = &buf
	var zw *gzip.Writer
	if r.opts.Gzip {
		zw = gzip.NewWriter(&buf)
		w = zw
	}
	_, _ = w.Write([]byte{'['})
	_, _ = w.Write(bytes.Join(b.encoded, []byte{','}))
	_, _ = w.Write([]byte{']'})
	if zw != nil {
		if err := zw.Close(); err != nil {
			return nil, fmt.Errorf("gzip batch: %w", err)
		}
	}
	return buf.Bytes(), nil
}

func decodeAnswer(resp *http.Response, raw []byte) (answer, error) {
	status := resp.StatusCode
	if status == http.StatusOK || status == http.StatusAccepted {
		var ans answer
		if err := json.Unmarshal(raw, &ans); err != nil {
			return answer{}, fmt.Errorf("answer %d is not the ingest JSON: %w", status, err)
		}
		return ans, nil
	}
	// Ingest answers 400 when every event was invalid and 503 when every event it could
	// not take may be sent again; both then list the events, like a 202.
	if status == http.StatusBadRequest || status == http.StatusServiceUnavailable {
		var ans answer
		if json.Unmarshal(raw, &ans) == nil && len(ans.Errors) > 0 {
			ans.retryAfter = retryAfter(resp)
			return ans, nil
		}
	}

	switch {
	case status == http.StatusTooManyRequests || status >= 500:
		err := &StatusError{Status: status, Body: excerpt(raw)}
		return answer{}, &retryableError{err: err, retryAfter: retryAfter(resp)}
	default:
		return answer{}, &StatusError{Status: status, Body: excerpt(raw)}
	}
}

func retryAfter(resp *http.Response) time.Duration {
	secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || secs < 0 {
		return 0
	}
	return time.Duration(secs) * time.Second
}

func excerpt(raw []byte) string {
	s := strings.TrimSpace(string(raw))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// settle books an answer to a sent batch and returns the events to send again: those the
// answer marks retryable. The rest not accepted are rejected for good.
func (r *run) settle(sent batch, ans answer) batch {
	var again batch
	var rejections []Rejection
	queued := make(map[int]bool)
	for _, e := range ans.Errors {
		if e.Index < 0 || e.Index >= len(sent.events) {
			continue
		}
		if e.Retryable {
			if !queued[e.Index] {
				queued[e.Index] = true
				again.events = append(again.events, sent.events[e.Index])
				again.encoded = append(again.encoded, sent.encoded[e.Index])
			}
			continue
		}
		id := e.EventID
		if id == "" {
			id = sent.events[e.Index].EventID
		}
		rejections = append(rejections, Rejection{EventID: id, Field: e.Field, Reason: e.Reason})
	}

	accepted := min(max(ans.Accepted, 0), len(sent.events)-len(again.events))
	rejected := len(sent.events) - accepted - len(again.events)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.Accepted += accepted
	r.stats.Rejected += rejected
	r.addReasons(rejections...)
	if accepted > 0 {
		r.stats.LastAcceptedAt = time.Now()
	}
	r.progress(accepted + rejected)
	return again
}
