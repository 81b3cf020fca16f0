package report

import (
	"fmt"
	"slices"
	"time"

	"github.com/adpulse/adpulse/shared/totals"
)

// Bucket is one stored UTC rollup bucket: a grain and the instant it starts.
type Bucket struct {
	Grain totals.Grain
	Start time.Time
}

// End returns the instant after the bucket.
func (b Bucket) End() time.Time { return b.Grain.Next(b.Start) }

// PlannedRow is one output row, [Start, End), and the stored buckets that tile it.
type PlannedRow struct {
	Start, End time.Time
	Buckets    []Bucket
}

// Plan is a range cut into rows, each covered by the coarsest stored buckets.
type Plan struct {
	Range
	Rows []PlannedRow
}

// coarseFirst is every grain, coarsest first.
var coarseFirst = []totals.Grain{totals.Month, totals.Day, totals.Hour, totals.Minute}

// Cover returns the coarsest UTC buckets of the given grains that tile [from, to)
// exactly, in time order: at each step the largest bucket that starts there and ends
// inside the range. Buckets nest (minute in hour in day in month), so this is the
// tiling with the fewest buckets. It fails when some part of the range falls on no
// bucket boundary of the grains.
func Cover(from, to time.Time, grains []totals.Grain) ([]Bucket, error) {
	var out []Bucket
	for pos := from; pos.Before(to); {
		picked := false
		for _, g := range coarseFirst {
			if !slices.Contains(grains, g) || !g.Truncate(pos).Equal(pos) ||
				g.Next(pos).After(to) {
				continue
			}
			out = append(out, Bucket{Grain: g, Start: pos.UTC()})
			pos = g.Next(pos)
			picked = true
			break
		}
		if !picked {
			return nil, fmt.Errorf("%s is not on a boundary of the stored rollups",
				pos.UTC().Format(time.RFC3339))
		}
	}
	return out, nil
}

// NewPlan cuts a range into rows of its granularity in its time zone and covers each row
// with stored buckets. now decides which minute buckets may already have expired: a
// range that needs one is refused with an InputError saying why.
func NewPlan(r Range, now time.Time) (Plan, error) {
	p := Plan{Range: r}
	oldestMinute := now.Add(-MinuteRetention).Truncate(time.Minute)
	for start := r.Start; start.Before(r.End); {
		end := nextBoundary(start, r.Granularity, r.Loc)
		if end.After(r.End) || r.Granularity == ByTotal {
			end = r.End
		}
		buckets, err := Cover(start, end, totals.Grains)
		if err != nil {
			return Plan{}, invalid("start", "and end must be whole minutes: %v", err)
		}
		for _, b := range buckets {
			if b.Grain == totals.Minute && b.Start.Before(oldestMinute) {
				return Plan{}, minutesExpired(r, b.Start, oldestMinute)
			}
		}
		p.Rows = append(p.Rows, PlannedRow{Start: start, End: end, Buckets: buckets})
		start = end
	}
	return p, nil
}

// minutesExpired explains a refusal caused by minute buckets past their retention.
func minutesExpired(r Range, minute, oldest time.Time) *InputError {
	why := "the range starts or ends between whole UTC hours"
	if r.Granularity == ByMinute {
		why = "minute rows are read from minute rollups"
	} else if _, off := r.Start.In(r.Loc).Zone(); off%3600 != 0 {
		why = fmt.Sprintf("in %s hours and days start between whole UTC hours", r.Loc)
	}
	return invalid("start", "needs minute rollups from %s, but minute rollups are kept "+
		"35 days (the oldest now is %s): %s; use a range that starts and ends on whole "+
		"UTC hours, or one within the last 35 days", minute.Format(time.RFC3339),
		oldest.UTC().Format(time.RFC3339), why)
}

// nextBoundary returns the start of the row after the one holding t: the next minute,
// the next local hour (local minute 0), or the next local midnight.
func nextBoundary(t time.Time, g Granularity, loc *time.Location) time.Time {
	lt := t.In(loc)
	switch g {
	case ByMinute:
		return t.Truncate(time.Minute).Add(time.Minute)
	case ByHour:
		// Offsets are whole minutes, so the local hour starts lt.Minute() minutes ago.
		return t.Add(-time.Duration(lt.Minute())*time.Minute - time.Duration(lt.Second())*
			time.Second - time.Duration(lt.Nanosecond())).Add(time.Hour)
	case ByDay:
		next := time.Date(lt.Year(), lt.Month(), lt.Day()+1, 0, 0, 0, 0, loc)
		if !next.After(t) { // a zone whose clock jumps back past midnight
			next = time.Date(lt.Year(), lt.Month(), lt.Day()+2, 0, 0, 0, 0, loc)
		}
		return next
	}
	return time.Time{}.Add(1<<63 - 1) // total: never
}

// grainRuns groups the buckets of a plan by grain and into runs of neighbouring
// buckets, each read by one range query. Buckets of one grain closer than gap buckets
// apart share a run: reading a few unneeded rows costs less than another round trip.
func grainRuns(buckets []Bucket) []Run {
	byGrain := map[totals.Grain][]time.Time{}
	for _, b := range buckets {
		byGrain[b.Grain] = append(byGrain[b.Grain], b.Start)
	}
	var runs []Run
	for _, g := range totals.Grains {
		starts := byGrain[g]
		if len(starts) == 0 {
			continue
		}
		slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
		starts = slices.CompactFunc(starts, func(a, b time.Time) bool { return a.Equal(b) })
		run := Run{Grain: g, From: starts[0], To: g.Next(starts[0])}
		for _, s := range starts[1:] {
			if s.Before(gapLimit(g, run.To)) || s.Equal(gapLimit(g, run.To)) {
				run.To = g.Next(s)
				continue
			}
			runs = append(runs, run)
			run = Run{Grain: g, From: s, To: g.Next(s)}
		}
		runs = append(runs, run)
	}
	return runs
}

// Run is a run of neighbouring buckets of one grain, [From, To).
type Run struct {
	Grain    totals.Grain
	From, To time.Time
}

// gapLimit is how far after a run's end the next bucket of the grain may start and still
// join it: one bucket of the next coarser grain.
func gapLimit(g totals.Grain, end time.Time) time.Time {
	switch g {
	case totals.Minute:
		return end.Add(time.Hour)
	case totals.Hour:
		return end.Add(24 * time.Hour)
	case totals.Day:
		return end.AddDate(0, 1, 0)
	}
	return end.AddDate(1, 0, 0)
}
