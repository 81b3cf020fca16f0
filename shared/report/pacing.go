package report

import (
	"time"

	"github.com/adpulse/adpulse/shared/campaign"
)

// PacingStatus says how a campaign's spend so far compares with its schedule.
type PacingStatus string

// The pacing statuses.
const (
	OnTrack   PacingStatus = "on_track"  // within PacingTolerance of the expected spend
	Behind    PacingStatus = "behind"    // more than PacingTolerance under it
	Ahead     PacingStatus = "ahead"     // more than PacingTolerance over it
	Exhausted PacingStatus = "exhausted" // spend reached the total budget
)

// PacingTolerance is how far, as a share of the expected spend, spend may stray and
// still be on track: ±10%.
const PacingTolerance = 0.10

// Pacing is a campaign's lifetime spend against where its schedule says it should be.
type Pacing struct {
	Status         PacingStatus `json:"status"`
	SpendMicros    int64        `json:"spend_micros"`    // every event so far, all time
	ExpectedMicros int64        `json:"expected_micros"` // where the schedule says it should be
	BudgetMicros   int64        `json:"budget_micros"`   // the total budget
	Ratio          *float64     `json:"ratio"`           // spend / expected; null when 0
}

// Pace compares spend (micros of the campaign's currency, all time) with the expected
// spend at now. The expected spend grows linearly from the schedule's start to its end;
// with a daily cap it is also at most the cap times the local days elapsed in the
// schedule's time zone (23- and 25-hour days count as one day); it never exceeds the
// total budget. Pace returns nil when nothing says where spend should be (no end and no
// daily cap) and the budget is not exhausted.
func Pace(c campaign.Campaign, spend int64, now time.Time) *Pacing {
	if c.Budget == nil || c.Schedule == nil {
		return nil
	}
	total := c.Budget.TotalMicros
	p := &Pacing{SpendMicros: spend, BudgetMicros: total}
	expected, known := expectedSpend(c, now)
	if !known {
		expected = 0
	}
	p.ExpectedMicros = expected
	switch {
	case total > 0 && spend >= total:
		p.Status = Exhausted
	case !known:
		return nil
	case expected == 0 && spend > 0:
		p.Status = Ahead
	case expected == 0:
		p.Status = OnTrack
	}
	if expected > 0 {
		r := float64(spend) / float64(expected)
		p.Ratio = &r
		if p.Status == "" {
			p.Status = OnTrack
			if r < 1-PacingTolerance {
				p.Status = Behind
			} else if r > 1+PacingTolerance {
				p.Status = Ahead
			}
		}
	}
	return p
}

// expectedSpend is the spend the schedule expects by now, and whether it expects any.
func expectedSpend(c campaign.Campaign, now time.Time) (int64, bool) {
	loc, err := time.LoadLocation(c.Schedule.Timezone)
	if err != nil {
		loc = time.UTC
	}
	start, err := time.Parse(time.RFC3339, c.Schedule.Start)
	if err != nil {
		return 0, false
	}
	end, hasEnd := time.Time{}, false
	if c.Schedule.End != "" {
		if end, err = time.Parse(time.RFC3339, c.Schedule.End); err == nil && end.After(start) {
			hasEnd = true
		}
	}
	total := c.Budget.TotalMicros
	if !now.After(start) {
		return 0, hasEnd || c.Budget.DailyCapMicros != nil
	}

	until := now
	if hasEnd && until.After(end) {
		until = end
	}
	expected, known := float64(total), false
	if hasEnd {
		expected = float64(total) * float64(until.Sub(start)) / float64(end.Sub(start))
		known = true
	}
	if c.Budget.DailyCapMicros != nil {
		byCap := float64(*c.Budget.DailyCapMicros) * localDays(start, until, loc)
		if !known || byCap < expected {
			expected = byCap
		}
		known = true
	}
	if expected > float64(total) {
		expected = float64(total)
	}
	return int64(expected + 0.5), known
}

// localDays counts the calendar days of loc in [from, to), the first and last in part:
// each day's share is its covered time over its own length (23, 24 or 25 hours).
func localDays(from, to time.Time, loc *time.Location) float64 {
	days := 0.0
	for t := from; t.Before(to); {
		lt := t.In(loc)
		dayStart := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc)
		dayEnd := time.Date(lt.Year(), lt.Month(), lt.Day()+1, 0, 0, 0, 0, loc)
		if !dayEnd.After(t) {
			dayEnd = t.Add(24 * time.Hour)
		}
		stop := dayEnd
		if to.Before(stop) {
			stop = to
		}
		days += float64(stop.Sub(t)) / float64(dayEnd.Sub(dayStart))
		t = stop
	}
	return days
}
