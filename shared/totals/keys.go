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
	monthPrefix    = "mon#"
	reachPrefix    = "uu#"
	adTotalPrefix  = "adtot#"
	adMinutePrefix = "admin#"
	adHourPrefix   = "adhr#"
	adDayPrefix    = "adday#"
	adMonthPrefix  = "admon#"
)

// Layouts of the time buckets inside sort keys (UTC); each sorts as time does.
const (
	MinuteLayout = "2006-01-02T15:04"
	HourLayout   = "2006-01-02T15"
	DayLayout    = "2006-01-02"
	MonthLayout  = "2006-01"
)

// Grain is the time bucket of a rollup row.
type Grain int

// The grains the aggregate function keeps. Minute rows expire; the others stay.
const (
	Minute Grain = iota
	Hour
	Day
	Month
)

// Grains lists every grain, finest first.
var Grains = []Grain{Minute, Hour, Day, Month}

// TenantGrains are the grains also kept per tenant, one partition per bucket holding
// every campaign, so that ranking all campaigns reads a few partitions.
var TenantGrains = []Grain{Hour, Day, Month}

// String names the grain.
func (g Grain) String() string {
	return [...]string{"minute", "hour", "day", "month"}[g]
}

// Truncate returns the UTC start of t's bucket.
func (g Grain) Truncate(t time.Time) time.Time {
	t = t.UTC()
	switch g {
	case Hour:
		return t.Truncate(time.Hour)
	case Day:
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	case Month:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return t.Truncate(time.Minute)
}

// Next returns the start of the bucket after the one starting at start.
func (g Grain) Next(start time.Time) time.Time {
	switch g {
	case Hour:
		return start.Add(time.Hour)
	case Day:
		return start.AddDate(0, 0, 1)
	case Month:
		return start.AddDate(0, 1, 0)
	}
	return start.Add(time.Minute)
}

func (g Grain) layout() string {
	switch g {
	case Hour:
		return HourLayout
	case Day:
		return DayLayout
	case Month:
		return MonthLayout
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
	case g == Month && ad:
		return adMonthPrefix
	case g == Month:
		return monthPrefix
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

// TenantPK is the partition key of a tenant's bucket of grain g holding t: one item per
// campaign and shard. Campaign ids never hold "#", so "<tenant>##..." cannot collide with
// a campaign's partition.
func TenantPK(tenantID string, g Grain, t time.Time) string {
	return tenantID + "##" + g.String() + "#" + g.Truncate(t).Format(g.layout())
}

// TenantSK is the sort key of one campaign's share of a tenant bucket, by one shard.
func TenantSK(campaignID, shard string) string {
	return campaignID + "#" + shard
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
