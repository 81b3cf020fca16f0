package totals

import (
	"testing"
	"time"
)

func TestGrainBuckets(t *testing.T) {
	at := time.Date(2026, 3, 8, 10, 37, 45, 0, time.FixedZone("PDT", -7*3600)) // 17:37:45Z
	cases := []struct {
		g          Grain
		start, nxt time.Time
		sk         string
	}{
		{Minute, time.Date(2026, 3, 8, 17, 37, 0, 0, time.UTC),
			time.Date(2026, 3, 8, 17, 38, 0, 0, time.UTC), "min#2026-03-08T17:37#s1"},
		{Hour, time.Date(2026, 3, 8, 17, 0, 0, 0, time.UTC),
			time.Date(2026, 3, 8, 18, 0, 0, 0, time.UTC), "hr#2026-03-08T17#s1"},
		{Day, time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC),
			time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC), "day#2026-03-08#s1"},
		{Month, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
			time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), "mon#2026-03#s1"},
	}
	for _, tc := range cases {
		t.Run(tc.g.String(), func(t *testing.T) {
			if got := tc.g.Truncate(at); !got.Equal(tc.start) {
				t.Errorf("Truncate = %v, want %v", got, tc.start)
			}
			if got := tc.g.Next(tc.start); !got.Equal(tc.nxt) {
				t.Errorf("Next = %v, want %v", got, tc.nxt)
			}
			if got := BucketSK(tc.g, at, "s1"); got != tc.sk {
				t.Errorf("BucketSK = %q, want %q", got, tc.sk)
			}
		})
	}
}

// Keys of one grain must sort as time does, and no grain's keys may fall inside another
// grain's key range, so that a range query reads exactly one grain.
func TestKeysSortAndDoNotOverlap(t *testing.T) {
	a := time.Date(2026, 9, 30, 23, 59, 0, 0, time.UTC)
	b := a.Add(time.Minute) // 2026-10-01T00:00
	for _, g := range Grains {
		if !(BucketSK(g, a, "shardId-1") < BucketSK(g, b, "shardId-0")) &&
			g.Truncate(a) != g.Truncate(b) {
			t.Errorf("%s keys do not sort as time", g)
		}
	}
	prefixes := []string{totalPrefix, minutePrefix, hourPrefix, dayPrefix, monthPrefix,
		reachPrefix, adTotalPrefix, adMinutePrefix, adHourPrefix, adDayPrefix, adMonthPrefix}
	for _, p := range prefixes {
		for _, q := range prefixes {
			if p != q && len(q) > len(p) && q[:len(p)] == p {
				t.Errorf("prefix %q is a prefix of %q: their ranges overlap", p, q)
			}
		}
	}
	if got := AdBucketSK(Hour, "ad-7", a, "s"); got != "adhr#ad-7#2026-09-30T23#s" {
		t.Errorf("AdBucketSK = %q", got)
	}
	if got := TenantPK("t1", Day, a); got != "t1##day#2026-09-30" {
		t.Errorf("TenantPK = %q", got)
	}
}

func TestParseCount(t *testing.T) {
	cases := map[string]struct {
		v  int64
		ok bool
	}{
		"8734340": {8734340, true}, "8.73434e+06": {8734340, true}, "-5": {-5, true},
		"1.5": {0, false}, "abc": {0, false}, "1e300": {0, false},
	}
	for in, want := range cases {
		if v, ok := parseCount(in); v != want.v || ok != want.ok {
			t.Errorf("parseCount(%q) = %d, %v; want %d, %v", in, v, ok, want.v, want.ok)
		}
	}
}
