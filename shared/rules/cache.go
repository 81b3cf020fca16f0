package rules

import (
	"context"
	"sync"
	"time"
)

// DefaultCacheTTL is how long the evaluator keeps a tenant's rules: a rule change takes
// effect within it.
const DefaultCacheTTL = 30 * time.Second

// Cache keeps each tenant's rules for the stream evaluator: one Query per tenant per
// TTL. It is safe for concurrent use.
type Cache struct {
	Store *Store
	TTL   time.Duration
	Now   func() time.Time

	mu      sync.Mutex
	tenants map[string]cached
}

type cached struct {
	rules []Rule
	until time.Time
}

// NewCache returns a cache over the store.
func NewCache(s *Store, ttl time.Duration) *Cache {
	return &Cache{Store: s, TTL: ttl, Now: time.Now, tenants: map[string]cached{}}
}

// Rules returns the enabled rules that watch the campaign: the campaign's own and the
// tenant-wide ones.
func (c *Cache) Rules(ctx context.Context, tenant, campaignID string) ([]Rule, error) {
	now := c.Now()
	c.mu.Lock()
	e, ok := c.tenants[tenant]
	c.mu.Unlock()
	if !ok || now.After(e.until) {
		rules, err := c.Store.List(ctx, tenant)
		if err != nil {
			return nil, err
		}
		e = cached{rules: rules, until: now.Add(c.TTL)}
		c.mu.Lock()
		c.tenants[tenant] = e
		c.mu.Unlock()
	}
	return ForCampaign(e.rules, campaignID), nil
}

// ForCampaign picks the enabled rules that watch the campaign.
func ForCampaign(rules []Rule, campaignID string) []Rule {
	var out []Rule
	for i := range rules {
		if rules[i].Enabled && rules[i].Watches(campaignID) {
			out = append(out, rules[i])
		}
	}
	return out
}
