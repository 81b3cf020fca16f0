// Package webhookrecv is the local stack's demo webhook receiver: an HTTP server on
// 127.0.0.1 that checks every delivery's Standard Webhooks signature with
// shared/webhook.Verify against the secrets it was given, de-duplicates on webhook-id as
// docs/notifications.md asks receivers to, answers 204 (401 for a bad signature), and
// records what it got. Rules reach it only because the local stack runs the rules and
// notifier functions with ALLOW_LOOPBACK_DESTINATIONS=true.
package webhookrecv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/adpulse/adpulse/shared/webhook"
)

// Delivery is one request the receiver got.
type Delivery struct {
	ID        string    // webhook-id: <notification id>_<channel index>
	Path      string    // request path
	Body      []byte    // raw body
	Received  time.Time // when the request arrived
	Verified  bool      // the signature matched a secret and the timestamp is fresh
	Err       string    // why verification failed
	Duplicate bool      // a verified delivery with this webhook-id came before
}

// Receiver is a running webhook receiver. Create it with Start.
type Receiver struct {
	srv *http.Server
	url string

	mu         sync.Mutex
	secrets    []string
	deliveries []Delivery
	seen       map[string]bool
	notify     chan struct{}
}

// Start listens on addr ("127.0.0.1:0" for any free port) and serves until Close.
func Start(addr string) (*Receiver, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("webhook receiver: %w", err)
	}
	r := &Receiver{url: "http://" + ln.Addr().String(), seen: map[string]bool{},
		notify: make(chan struct{})}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.handle),
		ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

// URL returns the receiver's base URL, e.g. http://127.0.0.1:41234; any path is accepted.
func (r *Receiver) URL() string { return r.url }

// AddSecret adds a whsec_ secret that signatures are checked against.
func (r *Receiver) AddSecret(secret string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets = append(r.secrets, secret)
}

// Deliveries returns every request received so far, in order.
func (r *Receiver) Deliveries() []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Delivery(nil), r.deliveries...)
}

// Wait waits until at least n deliveries arrived, or ctx ends.
func (r *Receiver) Wait(ctx context.Context, n int) ([]Delivery, error) {
	for {
		r.mu.Lock()
		got, ch := append([]Delivery(nil), r.deliveries...), r.notify
		r.mu.Unlock()
		if len(got) >= n {
			return got, nil
		}
		select {
		case <-ctx.Done():
			return got, fmt.Errorf("wait for %d webhooks, got %d: %w", n, len(got), ctx.Err())
		case <-ch:
		}
	}
}

// Close stops the server.
func (r *Receiver) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := r.srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// handle verifies and records one delivery.
func (r *Receiver) handle(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	d := Delivery{ID: req.Header.Get("webhook-id"), Path: req.URL.Path, Body: body,
		Received: time.Now()}

	r.mu.Lock()
	secrets := append([]string(nil), r.secrets...)
	r.mu.Unlock()
	if err := webhook.Verify(req.Header, body, d.Received, secrets...); err != nil {
		d.Err = err.Error()
	} else {
		d.Verified = true
	}

	r.mu.Lock()
	if d.Verified {
		d.Duplicate = r.seen[d.ID]
		r.seen[d.ID] = true
	}
	r.deliveries = append(r.deliveries, d)
	close(r.notify)
	r.notify = make(chan struct{})
	r.mu.Unlock()

	if !d.Verified {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
