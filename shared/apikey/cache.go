package apikey

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Cache remembers lookups for a while, so that a warm ingest function checks a key without
// a DynamoDB read. A revoked key keeps working for at most the positive TTL; an unknown
// key is remembered for a shorter time so that a flood of bad keys costs few reads.
type Cache struct {
	store       *Store
	positiveTTL time.Duration
	negativeTTL time.Duration
	now         func() time.Time

	mu      sync.Mutex
	entries map[string]cacheEntry
}

type cacheEntry struct {
	key     Key
	err     error
	expires time.Time
}

// maxCacheEntries bounds the cache's memory; past it the cache starts again empty.
const maxCacheEntries = 10000

// NewCache wraps a store with a lookup cache.
func NewCache(store *Store, positiveTTL, negativeTTL time.Duration) *Cache {
	return &Cache{
		store: store, positiveTTL: positiveTTL, negativeTTL: negativeTTL, now: time.Now,
		entries: make(map[string]cacheEntry),
	}
}

// Lookup is Store.Lookup with caching. Errors other than ErrUnknownKey are not cached.
func (c *Cache) Lookup(ctx context.Context, key string) (Key, error) {
	hash := Hash(key)
	now := c.now()

	c.mu.Lock()
	e, ok := c.entries[hash]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.key, e.err
	}

	rec, err := c.store.Lookup(ctx, key)
	ttl := c.positiveTTL
	switch {
	case errors.Is(err, ErrUnknownKey):
		ttl = c.negativeTTL
	case err != nil:
		return Key{}, err
	}

	c.mu.Lock()
	if len(c.entries) >= maxCacheEntries {
		c.entries = make(map[string]cacheEntry)
	}
	c.entries[hash] = cacheEntry{key: rec, err: err, expires: now.Add(ttl)}
	c.mu.Unlock()
	return rec, err
}
