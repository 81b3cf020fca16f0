package totals

import (
	"strings"
	"time"
)

// Sort key prefixes of the Aggregates table. Every rollup row ends in "#<shard>".
const (
	totalPrefix    = "tot#"
	minutePrefix   = "min#"
	hourPrefix     = "hr#"
	dayPrefix      = "day#"
	reachPrefix    = "uu#"
	adTotalPrefix  = "adtot#"
	adMinutePrefix = "admin#"
	adHourPrefix   = "adhr#"
	adDayPrefix    = "adday#"
)

// Layouts of the time buckets inside sort keys (UTC); each sorts as time does.
const (
	MinuteLayout = "2006-01-02T15:04"
	HourLayout   = "2006-01-02T15"
	DayLayout    = "2006-01-02"
)

// Grain is the time bucket of a rollup row.
type Grain int

// The grains the aggregate function keeps. Minute rows expire; hour and day rows stay.
const (
	Minute Grain = iota
	Hour
	Day
)

// Grains lists every grain, finest first.
var Grains = []Grain{Minute, Hour, Day}

// Truncate returns the UTC start of t's bucket.
func (g Grain) Truncate(t time.Time) time.Time {
	t = t.UTC()
	switch g {
	case Hour:
		return t.Truncate(time.Hour)
	case Day:
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	return t.Truncate(time.Minute)
}

func (g Grain) layout() string {
	switch g {
	case Hour:
		return HourLayout
	case Day:
		return DayLayout
	}
	return MinuteLayout
}

func (g Grain) prefix(ad bool) string {
	switch {
	case g == Hour && ad:
		return adHourPrefix
	case g == Hour:
		return hourPrefix
	case g == Day && ad:
		return adDayPrefix
	case g == Day:
		return dayPrefix
	case ad:
		return adMinutePrefix
	}
	return minutePrefix
}

// PK is the partition key of a campaign's rows.
func PK(tenantID, campaignID string) string {
	return tenantID + "#" + campaignID
}

// TotalSK is the sort key of a campaign's running totals written by one shard.
func TotalSK(shard string) string {
	return totalPrefix + shard
}

// BucketSK is the sort key of a campaign's bucket of grain g holding t, by one shard.
func BucketSK(g Grain, t time.Time, shard string) string {
	return g.prefix(false) + g.Truncate(t).Format(g.layout()) + "#" + shard
}

// MinuteSK is the sort key of a campaign's minute bucket written by one shard.
func MinuteSK(minute time.Time, shard string) string {
	return BucketSK(Minute, minute, shard)
}

// AdTotalSK is the sort key of an ad's running totals written by one shard.
func AdTotalSK(adID, shard string) string {
	return adTotalPrefix + adID + "#" + shard
}

// AdBucketSK is the sort key of an ad's bucket of grain g holding t, by one shard.
func AdBucketSK(g Grain, adID string, t time.Time, shard string) string {
	return g.prefix(true) + adID + "#" + g.Truncate(t).Format(g.layout()) + "#" + shard
}

// AdMinuteSK is the sort key of an ad's minute bucket written by one shard.
func AdMinuteSK(adID string, minute time.Time, shard string) string {
	return AdBucketSK(Minute, adID, minute, shard)
}

// ReachSK is the sort key of the unique-user sketch of a campaign's UTC hour, one shard.
func ReachSK(hour time.Time, shard string) string {
	return reachPrefix + Hour.Truncate(hour).Format(HourLayout) + "#" + shard
}

// trimShard drops the trailing "#<shard>" of a sort key.
func trimShard(sk string) string {
	if i := strings.LastIndexByte(sk, '#'); i >= 0 {
		return sk[:i]
	}
	return sk
}
