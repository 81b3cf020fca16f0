package rules

import (
	"context"
	"sync"
	"time"

	"github.com/adpulse/adpulse/shared/staleread"
)

// DefaultCacheTTL is how long the evaluator keeps a tenant's rules: a rule change takes
// effect within it.
const DefaultCacheTTL = 30 * time.Second

// Cache keeps each tenant's rules for the stream evaluator: one Query per tenant per
// TTL. When the Query fails, the rules last read (up to staleread.DefaultMaxStale old)
// stand in and OnStale is told; Queries that keep failing open a breaker, so a failing
// table does not cost a timeout per batch (shared/staleread). It is safe for concurrent
// use.
type Cache struct {
	Store *Store
	TTL   time.Duration
	Now   func() time.Time
	// OnStale, when set, is called each time stale rules are served, with the error.
	OnStale func(tenant string, err error)

	once  sync.Once
	reads *staleread.Cache[string, []Rule]
}

// NewCache returns a cache over the store.
func NewCache(s *Store, ttl time.Duration) *Cache {
	return &Cache{Store: s, TTL: ttl, Now: time.Now}
}

// Rules returns the enabled rules that watch the campaign: the campaign's own and the
// tenant-wide ones.
func (c *Cache) Rules(ctx context.Context, tenant, campaignID string) ([]Rule, error) {
	c.once.Do(func() {
		c.reads = staleread.New("rules store", c.Store.List,
			staleread.Options{TTL: c.TTL, Now: c.Now})
	})
	rules, stale, staleErr, err := c.reads.Get(ctx, tenant)
	if err != nil {
		return nil, err
	}
	if stale && c.OnStale != nil {
		c.OnStale(tenant, staleErr)
	}
	return ForCampaign(rules, campaignID), nil
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
