package totals

import (
	"strings"
	"time"
)

// Sort key prefixes of the Aggregates table.
const (
	totalPrefix    = "tot#"
	minutePrefix   = "min#"
	adTotalPrefix  = "adtot#"
	adMinutePrefix = "admin#"
)

// MinuteLayout formats a UTC minute inside sort keys; it sorts as time does.
const MinuteLayout = "2006-01-02T15:04"

// PK is the partition key of a campaign's rows.
func PK(tenantID, campaignID string) string {
	return tenantID + "#" + campaignID
}

// TotalSK is the sort key of a campaign's running totals written by one shard.
func TotalSK(shard string) string {
	return totalPrefix + shard
}

// MinuteSK is the sort key of a campaign's minute bucket written by one shard.
func MinuteSK(minute time.Time, shard string) string {
	return minutePrefix + minute.UTC().Format(MinuteLayout) + "#" + shard
}

// AdTotalSK is the sort key of an ad's running totals written by one shard.
func AdTotalSK(adID, shard string) string {
	return adTotalPrefix + adID + "#" + shard
}

// AdMinuteSK is the sort key of an ad's minute bucket written by one shard.
func AdMinuteSK(adID string, minute time.Time, shard string) string {
	return adMinutePrefix + adID + "#" + minute.UTC().Format(MinuteLayout) + "#" + shard
}

// trimShard drops the trailing "#<shard>" of a sort key.
func trimShard(sk string) string {
	if i := strings.LastIndexByte(sk, '#'); i >= 0 {
		return sk[:i]
	}
	return sk
}
