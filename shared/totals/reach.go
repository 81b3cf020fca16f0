package totals

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/axiomhq/hyperloglog"
)

// ReachPrecision is the HyperLogLog precision of the reach sketches: 2^14 registers,
// about 12 KB when dense.
const ReachPrecision = 14

// ReachStdError is the relative standard error of a reach estimate: 1.04 / sqrt(2^14).
var ReachStdError = 1.04 / math.Sqrt(1<<ReachPrecision)

// Reach is an estimate of the distinct people a campaign's impressions reached.
type Reach struct {
	People   uint64  `json:"unique_users"`
	StdError float64 `json:"unique_users_std_error"` // relative, e.g. 0.0081
}

// Reach merges the hourly sketches of the UTC hours that start in [from, to).
func (r *Reader) Reach(ctx context.Context, tenantID, campaignID string, from, to time.Time) (
	Reach, error) {
	merged := hyperloglog.New14()
	if !to.After(from) {
		return Reach{StdError: ReachStdError}, nil
	}
	lo := reachPrefix + Hour.Truncate(from).Format(HourLayout)
	hi := reachPrefix + Hour.Truncate(to.Add(-time.Nanosecond)).Format(HourLayout) + "~"

	var decodeErr error
	err := r.query(ctx, PK(tenantID, campaignID), lo, hi, func(_ string, item itemMap) {
		data, ok := item[AttrSketch].(*types.AttributeValueMemberB)
		if !ok || decodeErr != nil {
			return
		}
		sk := hyperloglog.New14()
		if err := sk.UnmarshalBinary(data.Value); err != nil {
			decodeErr = err
			return
		}
		decodeErr = merged.Merge(sk)
	})
	if err == nil {
		err = decodeErr
	}
	if err != nil {
		return Reach{}, fmt.Errorf("read reach of campaign %s: %w", campaignID, err)
	}
	return Reach{People: merged.Estimate(), StdError: ReachStdError}, nil
}
