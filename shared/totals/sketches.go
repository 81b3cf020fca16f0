package totals

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/axiomhq/hyperloglog"
)

// HourSketches returns the reach sketch of each UTC hour of a campaign that overlaps
// [from, to), the shards' sketches merged, keyed by the hour's start (UTC). Hours
// without impressions are left out. One range query reads them all, so a caller can
// merge any rows of hours without reading a sketch twice.
func (r *Reader) HourSketches(ctx context.Context, tenantID, campaignID string,
	from, to time.Time) (map[time.Time]*hyperloglog.Sketch, error) {
	out := map[time.Time]*hyperloglog.Sketch{}
	if !to.After(from) {
		return out, nil
	}
	lo := reachPrefix + Hour.Truncate(from).Format(HourLayout)
	hi := reachPrefix + Hour.Truncate(to.Add(-time.Nanosecond)).Format(HourLayout) + "~"

	var visitErr error
	err := r.query(ctx, PK(tenantID, campaignID), lo, hi, func(sk string, item itemMap) {
		data, ok := item[AttrSketch].(*types.AttributeValueMemberB)
		if !ok || visitErr != nil {
			return
		}
		hour, err := time.Parse(HourLayout, trimShard(sk)[len(reachPrefix):])
		if err != nil {
			visitErr = fmt.Errorf("bad reach key %q", sk)
			return
		}
		sk14 := hyperloglog.New14()
		if err := sk14.UnmarshalBinary(data.Value); err != nil {
			visitErr = fmt.Errorf("decode sketch %s: %w", sk, err)
			return
		}
		if prev := out[hour]; prev != nil {
			visitErr = prev.Merge(sk14)
			return
		}
		out[hour] = sk14
	})
	if err == nil {
		err = visitErr
	}
	if err != nil {
		return nil, fmt.Errorf("read reach sketches of campaign %s: %w", campaignID, err)
	}
	return out, nil
}

// CampaignTotals returns a campaign's running totals (every event ever counted), summed
// over shards, without its ads: one small query.
func (r *Reader) CampaignTotals(ctx context.Context, tenantID, campaignID string) (
	Counters, error) {
	var c Counters
	err := r.query(ctx, PK(tenantID, campaignID), totalPrefix, "", func(_ string,
		item itemMap) {
		c.addItem(item)
	})
	if err != nil {
		return Counters{}, fmt.Errorf("read totals of campaign %s: %w", campaignID, err)
	}
	return c, nil
}
