package aggregate

import (
	"context"
	"errors"
	"strconv"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// claimAll claims every item's event for its record. It returns which items were claimed,
// how many were duplicates, how many claim writes it made, and the sequence numbers whose
// claims could not be written.
// Within the batch, only the first occurrence of an event id is claimed at all.
func (h *Handler) claimAll(ctx context.Context, items []item) (
	claimed []bool, duplicates, writes int, failed []string) {
	claimed = make([]bool, len(items))
	outcome := make([]error, len(items))
	seen := make(map[string]bool, len(items))
	var todo []int
	for i := range items {
		key := items[i].tenant + "#" + items[i].ev.EventID
		if seen[key] {
			duplicates++
			continue
		}
		seen[key] = true
		todo = append(todo, i)
	}

	h.forEach(len(todo), func(j int) {
		outcome[todo[j]] = h.claim(ctx, &items[todo[j]])
	})

	for _, i := range todo {
		var dup *types.ConditionalCheckFailedException
		switch err := outcome[i]; {
		case err == nil:
			claimed[i] = true
		case errors.As(err, &dup):
			duplicates++
		default:
			h.Log.WarnContext(ctx, "claim failed", "err", err)
			failed = append(failed, items[i].seq)
		}
	}
	return claimed, duplicates, len(todo), failed
}

// claim writes the event's claim unless another live record holds it.
func (h *Handler) claim(ctx context.Context, it *item) error {
	now := h.Now()
	cond := expression.AttributeNotExists(expression.Name("pk")).
		Or(expression.Name("owner").Equal(expression.Value(it.owner))).
		Or(expression.Name("expires_at").LessThan(expression.Value(now.Unix())))
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return err
	}

	_, err = h.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(h.ClaimsTable),
		Item: map[string]types.AttributeValue{
			"pk":    &types.AttributeValueMemberS{Value: it.tenant + "#" + it.ev.EventID},
			"owner": &types.AttributeValueMemberS{Value: it.owner},
			"expires_at": &types.AttributeValueMemberN{
				Value: strconv.FormatInt(now.Add(h.DedupWindow).Unix(), 10)},
		},
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	return err
}

// forEach runs fn(0..n-1) on at most h.Workers goroutines.
func (h *Handler) forEach(n int, fn func(int)) {
	workers := max(1, min(h.Workers, n))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}
