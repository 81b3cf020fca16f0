package capping

import (
	"strconv"
	"time"
)

// Rolling windows are counted in sub-buckets ("slots") named by their absolute number
// since the epoch. A window at time t sums the slot holding t and the n slots before it,
// so it covers between the window and the window plus one slot: impressions are never
// forgotten early, and are remembered for at most one slot too long.
type rolling struct {
	prefix byte
	slot   int64 // seconds
	n      int64 // slots in one window
}

var (
	minuteSlots = rolling{prefix: 'm', slot: 10, n: 6}   // 6 x 10 s, summed over 7
	hourSlots   = rolling{prefix: 'h', slot: 300, n: 12} // 12 x 5 min, summed over 13
)

// rollingOf returns the slot layout of a rolling window.
func rollingOf(w Window) (rolling, bool) {
	switch w {
	case Minute:
		return minuteSlots, true
	case Hour:
		return hourSlots, true
	}
	return rolling{}, false
}

// staleKept is how many buckets just before a window each count removes, so that items
// of people seen regularly do not grow; buckets left by longer gaps go with the item.
const staleKept = 6

// appendScope appends the attribute prefix of a scope: "c|" for the campaign, "a|<ad>|" for an ad.
func appendScope(b []byte, ad string) []byte {
	if ad == "" {
		return append(b, 'c', '|')
	}
	b = append(b, 'a', '|')
	b = append(b, ad...)
	return append(b, '|')
}

// appendBucket appends the name of the bucket of window w holding t.
func appendBucket(b []byte, w Window, t time.Time, loc *time.Location) []byte {
	if r, ok := rollingOf(w); ok {
		return strconv.AppendInt(append(b, r.prefix), t.Unix()/r.slot, 10)
	}
	lt := t.In(loc)
	switch w {
	case Day:
		y, m, d := lt.Date()
		return appendDigits(appendDigits(appendDigits(append(b, 'd'), y, 4), int(m), 2), d, 2)
	case Week:
		y, wk := lt.ISOWeek()
		return appendDigits(appendDigits(append(b, 'w'), y, 4), wk, 2)
	case Month:
		y, m, _ := lt.Date()
		return appendDigits(appendDigits(append(b, 'M'), y, 4), int(m), 2)
	}
	return append(b, 'L')
}

func appendDigits(b []byte, v, width int) []byte {
	var tmp [8]byte
	i := len(tmp)
	for ; width > 0 || v > 0; width-- {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, tmp[i:]...)
}

// periodEnd returns when the calendar period of w holding t ends, in loc; DST-correct
// because it is computed on the wall clock and converted back.
func periodEnd(w Window, t time.Time, loc *time.Location) time.Time {
	lt := t.In(loc)
	y, m, d := lt.Date()
	switch w {
	case Day:
		return time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	case Week:
		sinceMonday := (int(lt.Weekday()) + 6) % 7
		return time.Date(y, m, d-sinceMonday+7, 0, 0, 0, 0, loc)
	case Month:
		return time.Date(y, m+1, 1, 0, 0, 0, 0, loc)
	}
	return time.Time{}
}

// staleBuckets appends the names of the buckets just before the live ones of w at t,
// which a count removes.
func staleBuckets(out []string, scope []byte, w Window, t time.Time, loc *time.Location) []string {
	if r, ok := rollingOf(w); ok {
		s := t.Unix()/r.slot - r.n
		for i := int64(1); i <= staleKept; i++ {
			out = append(out, string(strconv.AppendInt(append(scope[:len(scope):len(scope)], r.prefix), s-i, 10)))
		}
		return out
	}
	lt := t.In(loc)
	y, m, d := lt.Date()
	for i := 1; i <= staleKept/2; i++ {
		var prev time.Time
		switch w {
		case Day:
			prev = time.Date(y, m, d-i, 12, 0, 0, 0, loc)
		case Week:
			prev = time.Date(y, m, d-7*i, 12, 0, 0, 0, loc)
		case Month:
			prev = time.Date(y, m-time.Month(i), 1, 12, 0, 0, 0, loc)
		default:
			return out
		}
		out = append(out, string(appendBucket(scope[:len(scope):len(scope)], w, prev, loc)))
	}
	return out
}

// ttlOf is how long a counter item lives after its last write, by its longest window.
func ttlOf(w Window) time.Duration {
	switch w {
	case Minute:
		return 2 * time.Minute
	case Hour:
		return 2 * time.Hour
	case Day:
		return 50 * time.Hour // a local day plus any UTC offset
	case Week:
		return 8 * 24 * time.Hour
	case Month:
		return 32 * 24 * time.Hour
	}
	return LifetimeTTL
}

// LifetimeTTL is how long lifetime counters survive without a new impression.
const LifetimeTTL = 400 * 24 * time.Hour

// longer returns the longer of two windows.
func longer(a, b Window) Window {
	ia, ib := windowIndex(a), windowIndex(b)
	if ib > ia {
		return b
	}
	return a
}

func windowIndex(w Window) int {
	for i, v := range windows {
		if v == w {
			return i
		}
	}
	return -1
}
