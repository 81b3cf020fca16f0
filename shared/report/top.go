package report

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/totals"
)

// SortKeys are the metrics the ranking sorts by, each with a leading "-" for descending.
var SortKeys = []string{"impressions", "clicks", "conversions", "spend", "conversion_value",
	"ctr", "cvr", "cpm", "cpc", "cpa", "roas", "unique_users", "avg_frequency"}

// TopParams are the raw query parameters of the ranking.
type TopParams struct {
	Start, End, TZ, Status, Sort, Limit string
	NoReach                             bool // leave unique users out (saves a query per row)
}

// TopQuery is a validated ranking request.
type TopQuery struct {
	Range
	Buckets    []Bucket // the tenant buckets that tile the range
	Status     campaign.Status
	Sort       string
	Descending bool
	Limit      int
	Reach      bool
}

// RankedCampaign is one campaign of the ranking: its metrics over the range and its
// budget pacing now.
type RankedCampaign struct {
	Rank         int             `json:"rank"`
	CampaignID   string          `json:"campaign_id"`
	Name         string          `json:"name"`
	Status       campaign.Status `json:"status"`
	Currency     string          `json:"currency"`
	BudgetMicros int64           `json:"budget_micros"`
	Metrics
	Pacing *Pacing `json:"pacing"`
}

// Ranking is the tenant's campaigns ranked by one metric over a range.
type Ranking struct {
	Start    time.Time        `json:"start"`
	End      time.Time        `json:"end"`
	Timezone string           `json:"timezone"`
	Sort     string           `json:"sort"`
	Status   string           `json:"status"` // "" means every status but archived
	Limit    int              `json:"limit"`
	Matched  int              `json:"matched"` // campaigns that passed the status filter
	Items    []RankedCampaign `json:"items"`
	Reads    Reads            `json:"reads"`
}

// tenantGrains are the grains kept in tenant partitions.
var tenantGrains = []totals.Grain{totals.Hour, totals.Day, totals.Month}

// ParseTop validates the ranking's parameters, reporting every bad one at once. The
// ranking reads the tenant partitions, which are hourly at their finest, so start and
// end must fall on whole UTC hours.
func ParseTop(p TopParams) (TopQuery, error) {
	q := TopQuery{Sort: "spend", Descending: true, Limit: 20, Reach: !p.NoReach,
		Status: campaign.Status(p.Status)}
	var fields []FieldError
	rng, err := ParseRange(RangeParams{Start: p.Start, End: p.End, TZ: p.TZ,
		Granularity: string(ByTotal)}, time.UTC, ByTotal)
	var ie *InputError
	if errors.As(err, &ie) {
		fields = append(fields, ie.Fields...)
	} else {
		q.Range = rng
		if q.Buckets, err = Cover(rng.Start, rng.End, tenantGrains); err != nil {
			fields = append(fields, FieldError{Field: "start", Reason: fmt.Sprintf(
				"and end must fall on whole UTC hours: the ranking reads hourly, daily and "+
					"monthly rollups of the tenant (%v); in %s choose times at a whole UTC hour",
				err, rng.Loc)})
		}
	}
	if s := p.Sort; s != "" {
		q.Descending = strings.HasPrefix(s, "-")
		q.Sort = strings.TrimPrefix(s, "-")
		if !slices.Contains(SortKeys, q.Sort) {
			fields = append(fields, FieldError{Field: "sort", Reason: "must be one of: " +
				strings.Join(SortKeys, ", ") + "; prefix with - for descending"})
		}
	}
	if p.Limit != "" {
		n, err := strconv.Atoi(p.Limit)
		if err != nil || n < 1 || n > 100 {
			fields = append(fields, FieldError{Field: "limit",
				Reason: "must be an integer from 1 to 100"})
		}
		q.Limit = n
	}
	if q.Status != "" && !q.Status.Valid() {
		fields = append(fields, FieldError{Field: "status",
			Reason: "must be one of: draft, active, paused, completed, archived"})
	}
	if len(fields) > 0 {
		return TopQuery{}, &InputError{Fields: fields}
	}
	return q, nil
}

// Top ranks the tenant's campaigns over the query's range: a few queries on the tenant
// partitions, whatever the number of campaigns, then the campaigns themselves (paged,
// 100 at a time) for names, statuses and budgets; then, for the returned rows only,
// reach and pacing (a query each). Sorting by unique_users or avg_frequency reads the
// reach of every campaign with impressions.
func (r *Reporter) Top(ctx context.Context, tenantID string, q TopQuery) (*Ranking, error) {
	rk := &Ranking{Start: q.Start.In(q.Loc), End: q.End.In(q.Loc), Timezone: q.Loc.String(),
		Sort: q.Sort, Status: string(q.Status), Limit: q.Limit,
		Reads: Reads{Buckets: map[string]int{}, Queries: len(q.Buckets)}}
	if q.Descending {
		rk.Sort = "-" + q.Sort
	}
	for _, b := range q.Buckets {
		rk.Reads.Buckets[b.Grain.String()]++
	}

	// Sum the tenant buckets per campaign, and read the campaigns that match.
	counters, err := r.tenantCounters(ctx, tenantID, q.Buckets)
	if err != nil {
		return nil, err
	}
	cmps, pages, err := r.listAll(ctx, tenantID, q.Status)
	if err != nil {
		return nil, err
	}
	rk.Reads.Queries += pages
	rk.Matched = len(cmps)
	rows := make([]RankedCampaign, len(cmps))
	byID := make(map[string]campaign.Campaign, len(cmps))
	for i, c := range cmps {
		byID[c.ID] = c
		rows[i] = RankedCampaign{CampaignID: c.ID, Name: c.Name, Status: c.Status,
			Currency: currencyOf(c), Metrics: Compute(counters[c.ID], currencyOf(c))}
		if c.Budget != nil {
			rows[i].BudgetMicros = c.Budget.TotalMicros
		}
	}

	// Sort (reach first, when it is the key), cut, then fill in the returned rows.
	needsReach := q.Sort == "unique_users" || q.Sort == "avg_frequency"
	if needsReach {
		if err := r.fillReach(ctx, tenantID, q, rows); err != nil {
			return nil, err
		}
		rk.Reads.Queries += len(rows)
	}
	sortRows(rows, q.Sort, q.Descending)
	if len(rows) > q.Limit {
		rows = rows[:q.Limit]
	}
	if q.Reach && !needsReach {
		if err := r.fillReach(ctx, tenantID, q, rows); err != nil {
			return nil, err
		}
		rk.Reads.Queries += len(rows)
	}
	if err := r.fillPacing(ctx, tenantID, rows, byID); err != nil {
		return nil, err
	}
	rk.Reads.Queries += len(rows)
	for i := range rows {
		rows[i].Rank = i + 1
	}
	rk.Items = rows
	return rk, nil
}

// tenantCounters reads the tenant buckets (all at once) and sums them per campaign.
func (r *Reporter) tenantCounters(ctx context.Context, tenantID string,
	buckets []Bucket) (map[string]totals.Counters, error) {
	var mu sync.Mutex
	sum := map[string]totals.Counters{}
	err := r.parallel(ctx, len(buckets), func(ctx context.Context, i int) error {
		got, err := r.Totals.TenantBucket(ctx, tenantID, buckets[i].Grain, buckets[i].Start)
		mu.Lock()
		defer mu.Unlock()
		for id, c := range got {
			s := sum[id]
			s.Add(c)
			sum[id] = s
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("rank campaigns of tenant %s: %w", tenantID, err)
	}
	return sum, nil
}

// listAll reads every campaign of the tenant with the status ("" for all but archived),
// 100 a page, and says how many pages it took.
func (r *Reporter) listAll(ctx context.Context, tenantID string, status campaign.Status) (
	[]campaign.Campaign, int, error) {
	q := campaign.Query{Sort: campaign.SortCreated, Status: status, Limit: 100}
	var out []campaign.Campaign
	for pages := 1; ; pages++ {
		page, err := r.Campaigns.List(ctx, tenantID, q)
		if err != nil {
			return nil, pages, fmt.Errorf("rank campaigns of tenant %s: %w", tenantID, err)
		}
		out = append(out, page.Items...)
		if page.Next == nil {
			return out, pages, nil
		}
		q.After = page.Next
	}
}

// fillReach sets the unique users of each row with impressions over the range.
func (r *Reporter) fillReach(ctx context.Context, tenantID string, q TopQuery,
	rows []RankedCampaign) error {
	return r.parallel(ctx, len(rows), func(ctx context.Context, i int) error {
		if rows[i].Impressions == 0 {
			rows[i].SetReach(totals.Reach{StdError: totals.ReachStdError})
			return nil
		}
		reach, err := r.Totals.Reach(ctx, tenantID, rows[i].CampaignID, q.Start, q.End)
		rows[i].SetReach(reach)
		return err
	})
}

// fillPacing reads each row's lifetime spend and paces it against its schedule.
func (r *Reporter) fillPacing(ctx context.Context, tenantID string, rows []RankedCampaign,
	byID map[string]campaign.Campaign) error {
	now := r.now()
	return r.parallel(ctx, len(rows), func(ctx context.Context, i int) error {
		c := byID[rows[i].CampaignID]
		tot, err := r.Totals.CampaignTotals(ctx, tenantID, c.ID)
		rows[i].Pacing = Pace(c, tot.Spend[currencyOf(c)], now)
		return err
	})
}

// sortRows orders rows by the metric; nulls (a ratio over zero) go last either way, and
// ties are broken by campaign id.
func sortRows(rows []RankedCampaign, key string, desc bool) {
	slices.SortStableFunc(rows, func(a, b RankedCampaign) int {
		va, okA := metricValue(a.Metrics, key)
		vb, okB := metricValue(b.Metrics, key)
		switch {
		case okA && !okB:
			return -1
		case !okA && okB:
			return 1
		case okA && va != vb:
			if (va < vb) != desc {
				return -1
			}
			return 1
		}
		return strings.Compare(a.CampaignID, b.CampaignID)
	})
}

// metricValue is the sort value of a metric, false when it is null.
func metricValue(m Metrics, key string) (float64, bool) {
	f := func(p *float64) (float64, bool) {
		if p == nil {
			return 0, false
		}
		return *p, true
	}
	i := func(p *int64) (float64, bool) {
		if p == nil {
			return 0, false
		}
		return float64(*p), true
	}
	switch key {
	case "impressions":
		return float64(m.Impressions), true
	case "clicks":
		return float64(m.Clicks), true
	case "conversions":
		return float64(m.Conversions), true
	case "spend":
		return float64(m.SpendMicros), true
	case "conversion_value":
		return float64(m.ValueMicros), true
	case "ctr":
		return f(m.CTR)
	case "cvr":
		return f(m.CVR)
	case "cpm":
		return i(m.CPMMicros)
	case "cpc":
		return i(m.CPCMicros)
	case "cpa":
		return i(m.CPAMicros)
	case "roas":
		return f(m.ROAS)
	case "unique_users":
		if m.UniqueUsers == nil {
			return 0, false
		}
		return float64(*m.UniqueUsers), true
	case "avg_frequency":
		return f(m.AvgFrequency)
	}
	return 0, false
}
