package report

import (
	"fmt"
	"strings"
	"time"
)

// Granularity is the length of a report's rows.
type Granularity string

// The granularities. Total makes one row of the whole range.
const (
	ByMinute Granularity = "minute"
	ByHour   Granularity = "hour"
	ByDay    Granularity = "day"
	ByTotal  Granularity = "total"
)

// Granularities lists every granularity, finest first.
var Granularities = []Granularity{ByMinute, ByHour, ByDay, ByTotal}

// MaxSpanDays is the longest range, in calendar days of the report's time zone, that
// each granularity accepts.
var MaxSpanDays = map[Granularity]int{ByMinute: 1, ByHour: 31, ByDay: 400, ByTotal: 400}

// MinuteRetention is how long minute rollups live after their last write (the aggregate
// function's setting). A minute bucket that started earlier than this before now may be
// gone, so ranges that need one are refused.
const MinuteRetention = 35 * 24 * time.Hour

// FieldError is one bad request parameter and what is allowed instead.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// InputError is a request the report cannot answer as asked; every field says why.
type InputError struct {
	Fields []FieldError
}

// Error lists the bad fields.
func (e *InputError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + " " + f.Reason
	}
	return "bad report request: " + strings.Join(parts, "; ")
}

// invalid makes an InputError of one field.
func invalid(field, format string, args ...any) *InputError {
	return &InputError{Fields: []FieldError{{Field: field, Reason: fmt.Sprintf(format, args...)}}}
}

// Range is a validated report range: [Start, End) in Loc, cut into rows of Granularity.
type Range struct {
	Start, End  time.Time
	Loc         *time.Location
	Granularity Granularity
}

// RangeParams are the raw query parameters of a range.
type RangeParams struct {
	Start, End, Granularity, TZ string
}

// ParseRange validates a range's parameters. An empty TZ means def (the campaign's time
// zone, or UTC); an empty granularity means defGran. Times are RFC 3339 or YYYY-MM-DD
// (local midnight in the time zone) and must be whole minutes. Every bad parameter is
// reported at once.
func ParseRange(p RangeParams, def *time.Location, defGran Granularity) (Range, error) {
	var fields []FieldError
	bad := func(field, reason string) {
		fields = append(fields, FieldError{Field: field, Reason: reason})
	}
	r := Range{Loc: def, Granularity: Granularity(p.Granularity)}
	if r.Loc == nil {
		r.Loc = time.UTC
	}
	if p.TZ != "" {
		loc, err := loadZone(p.TZ)
		if err != nil {
			bad("tz", "must be an IANA time zone such as Europe/Berlin or UTC")
		} else {
			r.Loc = loc
		}
	}
	if r.Granularity == "" {
		r.Granularity = defGran
	}
	if _, ok := MaxSpanDays[r.Granularity]; !ok {
		bad("granularity", "must be one of: minute, hour, day, total")
	}

	var err error
	if r.Start, err = ParseTime(p.Start, r.Loc); err != nil {
		bad("start", err.Error())
	}
	if r.End, err = ParseTime(p.End, r.Loc); err != nil {
		bad("end", err.Error())
	}
	if len(fields) == 0 {
		if fe := checkSpan(r); fe != nil {
			fields = append(fields, *fe)
		}
	}
	if len(fields) > 0 {
		return Range{}, &InputError{Fields: fields}
	}
	return r, nil
}

// loadZone loads an IANA zone; "Local" is refused, since it means the server's zone.
func loadZone(name string) (*time.Location, error) {
	if name == "Local" || strings.ContainsAny(name, "\x00\\") {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	return time.LoadLocation(name)
}

// ParseTime reads an RFC 3339 time, or a YYYY-MM-DD date as local midnight in loc. The
// time must be a whole minute, the finest rollup kept.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("is required (RFC 3339 or YYYY-MM-DD)")
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		d, derr := time.ParseInLocation(time.DateOnly, s, loc)
		if derr != nil {
			return time.Time{}, fmt.Errorf("must be an RFC 3339 time such as " +
				"2026-03-01T00:00:00Z or a date such as 2026-03-01 (local midnight)")
		}
		// ParseInLocation gives the first instant of the date; a date whose midnight is
		// skipped by daylight saving starts at the first local time that exists.
		t = d
	}
	if t.Second() != 0 || t.Nanosecond() != 0 {
		return time.Time{}, fmt.Errorf("must be a whole minute (seconds are not kept)")
	}
	if t.Year() < 2000 || t.Year() > 9999 {
		return time.Time{}, fmt.Errorf("must be between the years 2000 and 9999")
	}
	return t, nil
}

// checkSpan refuses an empty or reversed range and one longer than the granularity allows.
func checkSpan(r Range) *FieldError {
	if !r.End.After(r.Start) {
		return &FieldError{Field: "end", Reason: "must be after start"}
	}
	days := MaxSpanDays[r.Granularity]
	if r.End.After(r.Start.In(r.Loc).AddDate(0, 0, days)) {
		return &FieldError{Field: "end", Reason: fmt.Sprintf("is too far after start: "+
			"granularity %s allows at most %s (minute ≤ 1 day, hour ≤ 31 days, "+
			"day ≤ 400 days, total ≤ 400 days)", r.Granularity, plural(days, "day"))}
	}
	return nil
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
