package aggregate

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/axiomhq/hyperloglog"

	"github.com/adpulse/adpulse/shared/event"
	"github.com/adpulse/adpulse/shared/parallel"
	"github.com/adpulse/adpulse/shared/totals"
)

// reachRow is the people a batch showed a campaign's ads to in one UTC hour.
type reachRow struct {
	pk, sk   string
	firstSeq string // lowest sequence number folded in, to retry from on failure
	people   [][]byte
}

// Person returns the key reach counts people by: the user id when the sender knows it,
// else the device id. Two devices of one unknown person count as two.
func Person(e *event.Event) []byte {
	if e.UserID != "" {
		return []byte("u:" + e.UserID)
	}
	return []byte("d:" + e.DeviceID)
}

// foldReach groups the people of the batch's impressions by campaign and hour. Adding a
// person to a HyperLogLog sketch twice changes nothing, so unlike counters the sketches
// need no claims and no watermark: every valid impression is folded in, duplicates too.
func foldReach(items []item) []*reachRow {
	byKey := map[[2]string]*reachRow{}
	var rows []*reachRow
	for i := range items {
		it := &items[i]
		if it.ev.Type != event.Impression {
			continue
		}
		k := [2]string{totals.PK(it.tenant, it.ev.CampaignID),
			totals.ReachSK(it.ev.OccurredAt, it.shard)}
		r := byKey[k]
		if r == nil {
			r = &reachRow{pk: k[0], sk: k[1], firstSeq: it.seq}
			byKey[k] = r
			rows = append(rows, r)
		}
		r.people = append(r.people, Person(&it.ev))
	}
	return rows
}

// applyReach merges each row's people into its stored sketch. A row's only writer is its
// shard's invocation, so the version check guards against nothing but a stray duplicate
// invocation; on a conflict the merge is simply done again.
func (h *Handler) applyReach(ctx context.Context, rows []*reachRow) (writes int,
	failed []string) {
	errs := make([]error, len(rows))
	counts := make([]int, len(rows))
	parallel.ForEach(h.Workers, len(rows), func(i int) {
		counts[i], errs[i] = h.mergeReach(ctx, rows[i])
	})
	for i, err := range errs {
		writes += counts[i]
		if err != nil {
			h.Log.WarnContext(ctx, "reach write failed", "sk", rows[i].sk, "err", err)
			failed = append(failed, rows[i].firstSeq)
		}
	}
	return writes, failed
}

func (h *Handler) mergeReach(ctx context.Context, r *reachRow) (writes int, err error) {
	key := map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: r.pk},
		"sk": &types.AttributeValueMemberS{Value: r.sk},
	}
	for round := 0; round < maxConditionRounds; round++ {
		sketch, version, err := h.readSketch(ctx, key)
		if err != nil {
			return writes, err
		}
		before, _ := sketch.MarshalBinary()
		for _, p := range r.people {
			sketch.Insert(p)
		}
		after, err := sketch.MarshalBinary()
		if err != nil {
			return writes, fmt.Errorf("encode sketch: %w", err)
		}
		if version > 0 && string(before) == string(after) {
			return writes, nil // everyone was in already
		}

		writes++
		err = h.putSketch(ctx, key, after, version)
		var stale *types.ConditionalCheckFailedException
		if !errors.As(err, &stale) {
			return writes, err
		}
	}
	return writes, errors.New("sketch kept changing under the merge")
}

func (h *Handler) readSketch(ctx context.Context, key map[string]types.AttributeValue) (
	*hyperloglog.Sketch, int64, error) {
	out, err := h.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(h.AggregatesTable), Key: key, ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, 0, fmt.Errorf("read sketch: %w", err)
	}
	sketch := hyperloglog.New14()
	data, ok := out.Item[totals.AttrSketch].(*types.AttributeValueMemberB)
	if !ok {
		return sketch, 0, nil
	}
	if err := sketch.UnmarshalBinary(data.Value); err != nil {
		return nil, 0, fmt.Errorf("decode sketch: %w", err)
	}
	v, _ := out.Item["v"].(*types.AttributeValueMemberN)
	version, _ := strconv.ParseInt(v.Value, 10, 64)
	return sketch, version, nil
}

func (h *Handler) putSketch(ctx context.Context, key map[string]types.AttributeValue,
	data []byte, version int64) error {
	cond := expression.AttributeNotExists(expression.Name("pk"))
	if version > 0 {
		cond = expression.Name("v").Equal(expression.Value(version))
	}
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return fmt.Errorf("build condition: %w", err)
	}
	item := map[string]types.AttributeValue{
		"pk": key["pk"], "sk": key["sk"],
		totals.AttrSketch: &types.AttributeValueMemberB{Value: data},
		"v":               &types.AttributeValueMemberN{Value: strconv.FormatInt(version+1, 10)},
	}
	_, err = h.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(h.AggregatesTable), Item: item,
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	return err
}
