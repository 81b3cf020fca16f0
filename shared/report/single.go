package report

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/axiomhq/hyperloglog"

	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/totals"
)

// Row is one row of a campaign report, [Start, End) in the report's time zone.
type Row struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Metrics
	// ReachWindow is the span the unique users were counted over when it differs from
	// the row: sketches are hourly, so a row that does not start and end on whole UTC
	// hours counts the whole hours it overlaps.
	ReachWindow *Window `json:"unique_users_window,omitempty"`
}

// Window is a span of time, [Start, End).
type Window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// CampaignReport is one campaign's performance over a range.
type CampaignReport struct {
	CampaignID  string          `json:"campaign_id"`
	Name        string          `json:"name"`
	Status      campaign.Status `json:"status"`
	Currency    string          `json:"currency"`
	Timezone    string          `json:"timezone"`
	Granularity Granularity     `json:"granularity"`
	Start       time.Time       `json:"start"`
	End         time.Time       `json:"end"`
	Rows        []Row           `json:"rows"`
	Total       Row             `json:"total"`
	Reads       Reads           `json:"reads"`
}

// Campaign reports on one campaign of the tenant. Another tenant's campaign, or none,
// gives campaign.ErrNotFound; a bad range gives an *InputError.
func (r *Reporter) Campaign(ctx context.Context, tenantID, campaignID string,
	p RangeParams) (*CampaignReport, error) {
	c, err := r.Campaigns.Get(ctx, tenantID, campaignID)
	if err != nil {
		return nil, err
	}
	rng, err := ParseRange(p, zoneOf(c), ByDay)
	if err != nil {
		return nil, err
	}
	plan, err := NewPlan(rng, r.now())
	if err != nil {
		return nil, err
	}
	return r.run(ctx, tenantID, c, plan)
}

// run reads the plan's buckets and sketches and builds the report.
func (r *Reporter) run(ctx context.Context, tenantID string, c campaign.Campaign,
	plan Plan) (*CampaignReport, error) {
	var all []Bucket
	for _, row := range plan.Rows {
		all = append(all, row.Buckets...)
	}
	runs := grainRuns(all)
	rep := &CampaignReport{CampaignID: c.ID, Name: c.Name, Status: c.Status,
		Currency: currencyOf(c), Timezone: plan.Loc.String(), Granularity: plan.Granularity,
		Start: plan.Start.In(plan.Loc), End: plan.End.In(plan.Loc),
		Reads: Reads{Buckets: map[string]int{}, Queries: len(runs) + 1}}
	for _, b := range all {
		rep.Reads.Buckets[b.Grain.String()]++
	}

	// Read every run of buckets, and the sketches of every hour the range overlaps.
	var mu sync.Mutex
	stored := map[bucketKey]totals.Counters{}
	sketches := map[int64]*hyperloglog.Sketch{}
	err := r.parallel(ctx, len(runs)+1, func(ctx context.Context, i int) error {
		if i == len(runs) {
			s, err := r.Totals.HourSketches(ctx, tenantID, c.ID, plan.Start, plan.End)
			for hour, sk := range s {
				sketches[hour.Unix()] = sk
			}
			return err
		}
		run := runs[i]
		got, err := r.Totals.Buckets(ctx, tenantID, c.ID, run.Grain, run.From, run.To)
		mu.Lock()
		defer mu.Unlock()
		for _, b := range got {
			stored[keyOf(run.Grain, b.Start)] = b.Counters
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("report on campaign %s: %w", c.ID, err)
	}

	// Sum each row's buckets; merge the hours of its reach.
	var sum totals.Counters
	for _, pr := range plan.Rows {
		var rc totals.Counters
		for _, b := range pr.Buckets {
			rc.Add(stored[keyOf(b.Grain, b.Start)])
		}
		sum.Add(rc)
		row := Row{Start: pr.Start.In(plan.Loc), End: pr.End.In(plan.Loc),
			Metrics: Compute(rc, rep.Currency)}
		if plan.Granularity != ByMinute {
			row.setReach(sketches, plan.Loc)
		}
		rep.Rows = append(rep.Rows, row)
	}
	rep.Total = Row{Start: rep.Start, End: rep.End, Metrics: Compute(sum, rep.Currency)}
	rep.Total.setReach(sketches, plan.Loc)
	return rep, nil
}

// setReach merges the sketches of the UTC hours the row overlaps.
func (row *Row) setReach(sketches map[int64]*hyperloglog.Sketch, loc *time.Location) {
	from := totals.Hour.Truncate(row.Start)
	to := totals.Hour.Truncate(row.End.Add(-time.Nanosecond)).Add(time.Hour)
	merged := hyperloglog.New14()
	for h := from; h.Before(to); h = h.Add(time.Hour) {
		if s := sketches[h.Unix()]; s != nil {
			_ = merged.Merge(s) // same precision: Merge cannot fail
		}
	}
	row.SetReach(totals.Reach{People: merged.Estimate(), StdError: totals.ReachStdError})
	if !from.Equal(row.Start) || !to.Equal(row.End) {
		row.ReachWindow = &Window{Start: from.In(loc), End: to.In(loc)}
	}
}

// bucketKey identifies a stored bucket in maps: time.Time values of one instant may
// differ in their location, so the key is the grain and the Unix second.
type bucketKey struct {
	grain totals.Grain
	unix  int64
}

func keyOf(g totals.Grain, start time.Time) bucketKey {
	return bucketKey{grain: g, unix: start.Unix()}
}
