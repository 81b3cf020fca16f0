package aggregate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/adpulse/adpulse/shared/parallel"
)

// maxConditionRounds bounds how often one row is re-read after a failed watermark check.
// Only a redelivered batch fails the check, and one round settles it; more rounds would
// mean a second writer on the row, which the one-writer-per-shard design rules out.
const maxConditionRounds = 3

// applyAll writes every row. It returns how many rows were written, how many were found
// already applied, how many update calls it made, and for each row that failed the lowest
// sequence number it carries.
func (h *Handler) applyAll(ctx context.Context, rows []*row) (written, applied, writes int,
	failed []string) {
	results := make([]applyResult, len(rows))
	parallel.ForEach(h.Workers, len(rows), func(i int) {
		results[i] = h.applyRow(ctx, rows[i])
	})

	for i, res := range results {
		writes += res.writes
		switch {
		case res.err != nil:
			h.Log.WarnContext(ctx, "rollup write failed", slog.String("sk", rows[i].sk),
				slog.Any("err", res.err))
			failed = append(failed, rows[i].contribs[0].seq)
		case res.wrote:
			written++
		default:
			applied++
		}
	}
	return written, applied, writes, failed
}

type applyResult struct {
	wrote  bool
	writes int // update calls made, conditional failures included (they cost a write too)
	err    error
}

// applyRow adds the row's delta and moves its watermark in one conditional update. When
// the watermark shows that part of the delta is already in, it adds only the rest.
func (h *Handler) applyRow(ctx context.Context, r *row) applyResult {
	after, first := "", true
	res := applyResult{}
	for round := 0; round < maxConditionRounds; round++ {
		sum, lo, hi := r.total(after)
		if lo == "" {
			return res // every record of this row is already in
		}

		err := h.update(ctx, r, sum.Attributes(), lo, hi, after, first)
		res.writes++
		var stale *types.ConditionalCheckFailedException
		if !errors.As(err, &stale) {
			res.wrote, res.err = err == nil, err
			return res
		}

		wm, err := h.watermark(ctx, r)
		if err != nil {
			res.err = err
			return res
		}
		after, first = wm, false
	}
	res.err = fmt.Errorf("row %s %s: watermark kept moving", r.pk, r.sk)
	return res
}

// update writes one delta. On the first try the condition is "watermark below lo"; after
// a re-read it is "watermark still what was read", so no concurrent change slips in.
func (h *Handler) update(ctx context.Context, r *row, add map[string]int64, lo, hi, seen string,
	first bool) error {
	var upd expression.UpdateBuilder
	names := make([]string, 0, len(add))
	for name := range add {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		upd = upd.Add(expression.Name(name), expression.Value(add[name]))
	}
	upd = upd.Set(expression.Name("wm"), expression.Value(padSeq(hi)))
	if r.expiresAt != 0 {
		upd = upd.Set(expression.Name("expires_at"), expression.Value(r.expiresAt))
	}

	wm := expression.Name("wm")
	cond := expression.AttributeNotExists(wm).Or(wm.LessThan(expression.Value(padSeq(lo))))
	if !first {
		cond = wm.Equal(expression.Value(padSeq(seen)))
	}
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return fmt.Errorf("build update: %w", err)
	}

	_, err = h.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(h.AggregatesTable), Key: rowKey(r),
		UpdateExpression:          oneLine(expr.Update()),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ReturnValues:              types.ReturnValueNone,
	})
	return err
}

// watermark reads a row's watermark with a strongly consistent read.
func (h *Handler) watermark(ctx context.Context, r *row) (string, error) {
	out, err := h.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(h.AggregatesTable), Key: rowKey(r),
		ConsistentRead:           aws.Bool(true),
		ProjectionExpression:     aws.String("#wm"),
		ExpressionAttributeNames: map[string]string{"#wm": "wm"},
	})
	if err != nil {
		return "", fmt.Errorf("read watermark of %s %s: %w", r.pk, r.sk, err)
	}
	wm, ok := out.Item["wm"].(*types.AttributeValueMemberS)
	if !ok {
		return "", fmt.Errorf("row %s %s: condition failed but it has no watermark", r.pk, r.sk)
	}
	return strings.TrimLeft(wm.Value, "0"), nil
}

func rowKey(r *row) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: r.pk},
		"sk": &types.AttributeValueMemberS{Value: r.sk},
	}
}

// oneLine joins the clauses of an update expression with spaces instead of the builder's
// newlines. DynamoDB accepts both; the kumo emulator only finds clauses after a space.
func oneLine(expr *string) *string {
	return aws.String(strings.ReplaceAll(aws.ToString(expr), "\n", " "))
}
