package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/adpulse/adpulse/shared/netguard"
)

// Defaults of Options.
const (
	DefaultConnectTimeout = 3 * time.Second
	DefaultTimeout        = 10 * time.Second
	DefaultFailuresToOpen = 5
	DefaultOpenFor        = time.Minute
)

// maxResponseRead bounds how much of a receiver's answer is read (and discarded) so
// the connection can be reused.
const maxResponseRead = 64 << 10

// Options configures a Client. Zero fields take the defaults.
type Options struct {
	// ConnectTimeout bounds the TCP connect (default 3 s).
	ConnectTimeout time.Duration
	// Timeout bounds the whole request, answer included (default 10 s).
	Timeout time.Duration
	// FailuresToOpen consecutive failures of one endpoint open its circuit (default 5).
	FailuresToOpen uint32
	// OpenFor is how long an open circuit answers without calling; then one trial
	// request is let through, and its outcome closes or reopens it (default 1 min).
	OpenFor time.Duration
	// Resolver resolves host names for the check before sending (default: the system's).
	Resolver netguard.Resolver
}

// Response is what a receiver answered.
type Response struct {
	StatusCode int
	Duration   time.Duration
}

// SendError is a failed delivery. Reason is short and safe to record in the delivery
// log; Permanent means retrying cannot help (the destination is refused by policy).
type SendError struct {
	Reason     string
	StatusCode int
	Permanent  bool
	Err        error
}

// Error returns the reason.
func (e *SendError) Error() string { return e.Reason }

// Unwrap returns the underlying error, if any.
func (e *SendError) Unwrap() error { return e.Err }

// ErrCircuitOpen is wrapped by the SendError of a request the breaker refused.
var ErrCircuitOpen = errors.New("circuit open")

// Client posts to tenant-supplied endpoints under the destination policy. It is safe
// for concurrent use; its breakers live as long as it does (one Lambda execution
// environment), so an endpoint's failures are counted per environment.
type Client struct {
	http     *http.Client
	opts     Options
	mu       sync.Mutex
	breakers map[string]*gobreaker.CircuitBreaker[Response]
}

// NewClient returns a client with the given options.
func NewClient(o Options) *Client {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.FailuresToOpen == 0 {
		o.FailuresToOpen = DefaultFailuresToOpen
	}
	if o.OpenFor <= 0 {
		o.OpenFor = DefaultOpenFor
	}
	transport := &http.Transport{
		// No proxy: a proxy would dial the destination itself, past the Control hook.
		Proxy:                 nil,
		DialContext:           netguard.Dialer(o.ConnectTimeout).DialContext,
		TLSHandshakeTimeout:   o.ConnectTimeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       30 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &Client{
		http: &http.Client{
			Transport: transport,
			Timeout:   o.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		opts:     o,
		breakers: map[string]*gobreaker.CircuitBreaker[Response]{},
	}
}

// Post sends body to rawURL with the given headers (Content-Type defaults to JSON). A
// 2xx answer is success; anything else is a *SendError: the destination refused by
// policy (before the request or at connect), an open circuit, a redirect (never
// followed), another status, a timeout or a network error.
func (c *Client) Post(ctx context.Context, rawURL string, body []byte,
	header http.Header) (Response, error) {
	u, err := netguard.CheckURL(ctx, rawURL, c.opts.Resolver)
	if err != nil {
		return Response{}, &SendError{Reason: "destination refused: " + err.Error(),
			Permanent: true, Err: err}
	}

	cb := c.breaker(u)
	resp, err := cb.Execute(func() (Response, error) {
		return c.do(ctx, u, body, header)
	})
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		return resp, &SendError{Reason: fmt.Sprintf("circuit open for %s", u.Host),
			Err: ErrCircuitOpen}
	}
	return resp, err
}

// do makes one request and classifies its outcome.
func (c *Client) do(ctx context.Context, u *url.URL, body []byte,
	header http.Header) (Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(),
		bytes.NewReader(body))
	if err != nil {
		return Response{}, &SendError{Reason: "build request: " + err.Error(),
			Permanent: true, Err: err}
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "adpulse-webhooks/1")

	start := time.Now()
	resp, err := c.http.Do(req)
	took := time.Since(start)
	if err != nil {
		return Response{Duration: took}, classify(err, c.opts.Timeout)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseRead))
	resp.Body.Close()

	out := Response{StatusCode: resp.StatusCode, Duration: took}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return out, nil
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return out, &SendError{StatusCode: resp.StatusCode, Reason: fmt.Sprintf(
			"redirects are not followed (status %d to %q)", resp.StatusCode,
			resp.Header.Get("Location"))}
	}
	return out, &SendError{StatusCode: resp.StatusCode,
		Reason: fmt.Sprintf("status %d", resp.StatusCode)}
}

// classify turns a transport error into a SendError with a reason worth logging.
func classify(err error, timeout time.Duration) *SendError {
	var refused *netguard.RefusedError
	if errors.As(err, &refused) {
		return &SendError{Reason: "destination refused at connect: " + refused.Reason,
			Permanent: true, Err: err}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &SendError{Reason: fmt.Sprintf("timed out (limit %s)", timeout), Err: err}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &SendError{Reason: "request failed: " + err.Error(), Err: err}
}

// breaker returns the circuit breaker of the endpoint (scheme, host and port).
func (c *Client) breaker(u *url.URL) *gobreaker.CircuitBreaker[Response] {
	key := u.Scheme + "://" + u.Host
	c.mu.Lock()
	defer c.mu.Unlock()
	if cb, ok := c.breakers[key]; ok {
		return cb
	}
	n := c.opts.FailuresToOpen
	cb := gobreaker.NewCircuitBreaker[Response](gobreaker.Settings{
		Name:    key,
		Timeout: c.opts.OpenFor,
		ReadyToTrip: func(counts gobreaker.Counts) bool {
			return counts.ConsecutiveFailures >= n
		},
		// A refusal or the caller's cancellation says nothing about the endpoint.
		IsExcluded: func(err error) bool {
			var se *SendError
			return errors.Is(err, context.Canceled) || (errors.As(err, &se) && se.Permanent)
		},
	})
	c.breakers[key] = cb
	return cb
}
