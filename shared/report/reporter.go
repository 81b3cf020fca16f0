package report

import (
	"context"
	"sync"
	"time"

	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/totals"
)

// Reporter builds reports from the Aggregates table (through totals.Reader) and the
// Campaigns table (through campaign.Store). It only reads.
type Reporter struct {
	Totals    *totals.Reader
	Campaigns *campaign.Store
	Now       func() time.Time
	Workers   int // queries in flight at once; 16 when 0
}

// Reads counts what a report read: stored buckets by grain and range queries issued.
type Reads struct {
	Buckets map[string]int `json:"buckets"` // grain name → buckets used
	Queries int            `json:"queries"` // DynamoDB queries (each may take pages)
}

func (r *Reporter) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

// parallel calls fn for 0..n-1 with at most Workers calls at once and returns the first
// error.
func (r *Reporter) parallel(ctx context.Context, n int, fn func(ctx context.Context,
	i int) error) error {
	workers := r.Workers
	if workers <= 0 {
		workers = 16
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, workers)
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if ctx.Err() != nil {
				return
			}
			if err := fn(ctx, i); err != nil {
				once.Do(func() { firstErr = err; cancel() })
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// zoneOf loads a campaign's time zone, UTC when it has none or an unknown one.
func zoneOf(c campaign.Campaign) *time.Location {
	if c.Schedule != nil {
		if loc, err := time.LoadLocation(c.Schedule.Timezone); err == nil {
			return loc
		}
	}
	return time.UTC
}

// currencyOf is a campaign's budget currency.
func currencyOf(c campaign.Campaign) string {
	if c.Budget == nil {
		return ""
	}
	return c.Budget.Currency
}
