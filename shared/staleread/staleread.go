// Package staleread caches reads of settings that change rarely (a tenant's alert rules,
// a campaign's settings) and keeps the stream going when their store fails.
//
// A value is read again once its TTL has passed. If that read fails, the last value read
// is served instead, for up to MaxStale after it was read, and the caller is told it is
// stale. Reads that keep failing open a circuit breaker (github.com/sony/gobreaker): for
// OpenFor the store is not called at all and every key is answered from what is cached,
// so a slow or failing table costs no timeouts per record. A key never read successfully
// has nothing to fall back on and gets the error.
package staleread

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"
)

// Defaults of Options.
const (
	DefaultMaxStale       = 15 * time.Minute
	DefaultFailuresToOpen = 5
	DefaultOpenFor        = 10 * time.Second
	maxEntries            = 10000 // past it the cache starts again empty
)

// Options tune a Cache; zero fields take the defaults.
type Options struct {
	TTL            time.Duration // how long a value is fresh
	MaxStale       time.Duration // how long after its read a value may stand in
	FailuresToOpen uint32        // consecutive failed reads that open the breaker
	OpenFor        time.Duration // how long the breaker stays open
	Now            func() time.Time
}

// Cache reads values of type V by key K through load. It is safe for concurrent use.
type Cache[K comparable, V any] struct {
	load    func(context.Context, K) (V, error)
	opts    Options
	breaker *gobreaker.CircuitBreaker[V]

	mu      sync.Mutex
	entries map[K]entry[V]
}

type entry[V any] struct {
	v    V
	read time.Time
}

// New returns a cache over load. name names the breaker in errors.
func New[K comparable, V any](name string, load func(context.Context, K) (V, error),
	opts Options) *Cache[K, V] {
	if opts.MaxStale <= 0 {
		opts.MaxStale = DefaultMaxStale
	}
	if opts.FailuresToOpen == 0 {
		opts.FailuresToOpen = DefaultFailuresToOpen
	}
	if opts.OpenFor <= 0 {
		opts.OpenFor = DefaultOpenFor
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	n := opts.FailuresToOpen
	cb := gobreaker.NewCircuitBreaker[V](gobreaker.Settings{
		Name:    name,
		Timeout: opts.OpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.ConsecutiveFailures >= n
		},
		// The caller giving up says nothing about the store.
		IsExcluded: func(err error) bool {
			return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
		},
	})
	return &Cache[K, V]{load: load, opts: opts, breaker: cb, entries: map[K]entry[V]{}}
}

// Get returns the value of k: cached while fresh, else read again. When the read fails
// and a value read within MaxStale is cached, it returns that value with stale true and
// the read's error in staleErr, for the caller to log; err is then nil.
func (c *Cache[K, V]) Get(ctx context.Context, k K) (v V, stale bool, staleErr, err error) {
	now := c.opts.Now()
	c.mu.Lock()
	e, ok := c.entries[k]
	c.mu.Unlock()
	if ok && now.Sub(e.read) < c.opts.TTL {
		return e.v, false, nil, nil
	}

	got, err := c.breaker.Execute(func() (V, error) { return c.load(ctx, k) })
	if err != nil {
		if ok && now.Sub(e.read) < c.opts.MaxStale {
			return e.v, true, err, nil
		}
		var zero V
		return zero, false, nil, fmt.Errorf("%s: %w", c.breaker.Name(), err)
	}
	c.mu.Lock()
	if len(c.entries) >= maxEntries {
		c.entries = map[K]entry[V]{}
	}
	c.entries[k] = entry[V]{v: got, read: now}
	c.mu.Unlock()
	return got, false, nil, nil
}
