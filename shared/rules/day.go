package rules

import (
	"time"

	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/totals"
)

// DayStart returns the first instant of now's day in the time zone, in UTC. It is
// right on days when daylight saving time starts or ends (the day is then 23 or 25
// hours long) and in zones where the change skips midnight itself (the day then
// starts at the first local time that exists).
func DayStart(now time.Time, tz *time.Location) time.Time {
	local := now.In(tz)
	y, m, d := local.Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, tz)
	// When midnight does not exist, time.Date may pick an instant of the day before.
	for sy, sm, sd := start.Date(); sy != y || sm != m || sd != d; sy, sm, sd = start.Date() {
		start = start.Add(15 * time.Minute)
	}
	return start.UTC()
}

// WindowStart is the first minute a last_minutes window of n minutes covers at now:
// the current UTC minute and the n-1 before it.
func WindowStart(now time.Time, n int) time.Time {
	return now.UTC().Truncate(time.Minute).Add(-time.Duration(n-1) * time.Minute)
}

// NewSnapshot builds a snapshot from a campaign, its lifetime totals and its minute
// buckets (totals.Reader.Buckets at totals.Minute grain), which must cover at least the
// earlier of DayStart(now) and WindowStart(now, largest window). windows lists the
// last_minutes windows to fill (Windows of the campaign's rules).
func NewSnapshot(c campaign.Campaign, lifetime totals.Counters, minutes []totals.Bucket,
	windows []int, now time.Time) Snapshot {
	s := Snapshot{Lifetime: lifetime, CampaignStatus: c.Status,
		Windows: make(map[int]totals.Counters, len(windows))}
	if c.Budget != nil {
		s.Currency, s.BudgetMicros = c.Budget.Currency, c.Budget.TotalMicros
	}
	tz := time.UTC
	if c.Schedule != nil {
		if loc, err := time.LoadLocation(c.Schedule.Timezone); err == nil {
			tz = loc
		}
	}
	day := DayStart(now, tz)
	for _, m := range minutes {
		if !m.Start.Before(day) && !m.Start.After(now) {
			s.Today.Add(m.Counters)
		}
	}
	for _, n := range windows {
		var w totals.Counters
		from := WindowStart(now, n)
		for _, m := range minutes {
			if !m.Start.Before(from) && !m.Start.After(now) {
				w.Add(m.Counters)
			}
		}
		s.Windows[n] = w
	}
	return s
}
