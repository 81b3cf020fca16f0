package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DefaultLimit is the requests one user may make per DefaultWindow when the environment
// does not say otherwise: ten a second on average, far above what a person in a console
// or a reporting script needs, low enough to stop a runaway loop.
const (
	DefaultLimit  = 600
	DefaultWindow = time.Minute
)

// API is the part of the DynamoDB client the limiter uses.
type API interface {
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput,
		opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// Limiter counts requests per key and window in a DynamoDB table whose partition key is
// the string attribute pk and whose time-to-live attribute is expires_at.
type Limiter struct {
	DB     API
	Table  string
	Limit  int           // requests allowed per window and key; at least 1
	Window time.Duration // at least one second
	Now    func() time.Time
}

// Decision is the answer for one request.
type Decision struct {
	Allowed    bool
	Limit      int
	Remaining  int           // requests left in this window after this one
	RetryAfter time.Duration // when refused: until the window ends, whole seconds, >= 1 s
}

// Take counts one request of key and says whether it is within the limit. A refused
// request is not counted.
func (l *Limiter) Take(ctx context.Context, key string) (Decision, error) {
	now := l.now()
	window := l.Window.Truncate(time.Second)
	start := now.Truncate(window)
	end := start.Add(window)

	out, err := l.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(l.Table),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{
				Value: key + "#" + strconv.FormatInt(start.Unix(), 10)},
		},
		// One line: some emulators reject clauses separated by newlines.
		UpdateExpression:    aws.String("ADD #n :one SET #exp = :exp"),
		ConditionExpression: aws.String("attribute_not_exists(#n) OR #n < :limit"),
		ExpressionAttributeNames: map[string]string{
			"#n": "n", "#exp": "expires_at",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one":   &types.AttributeValueMemberN{Value: "1"},
			":limit": &types.AttributeValueMemberN{Value: strconv.Itoa(l.Limit)},
			// Kept one window past its end so a late request still finds it.
			":exp": &types.AttributeValueMemberN{
				Value: strconv.FormatInt(end.Add(window).Unix(), 10)},
		},
		ReturnValues: types.ReturnValueUpdatedNew,
	})
	var refused *types.ConditionalCheckFailedException
	if errors.As(err, &refused) {
		wait := end.Sub(now)
		wait = max((wait + time.Second - 1).Truncate(time.Second), time.Second)
		return Decision{Limit: l.Limit, RetryAfter: wait}, nil
	}
	if err != nil {
		return Decision{}, fmt.Errorf("rate limit %s: %w", l.Table, err)
	}

	n, err := count(out.Attributes["n"])
	if err != nil {
		return Decision{}, fmt.Errorf("rate limit %s: %w", l.Table, err)
	}
	return Decision{Allowed: true, Limit: l.Limit, Remaining: max(l.Limit-n, 0)}, nil
}

// count reads the counter from the update's answer; some emulators write numbers in
// exponent form (1E+1).
func count(v types.AttributeValue) (int, error) {
	num, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		return 0, errors.New("counter missing from the answer")
	}
	f, err := strconv.ParseFloat(num.Value, 64)
	if err != nil {
		return 0, fmt.Errorf("counter %q: %w", num.Value, err)
	}
	return int(f), nil
}

func (l *Limiter) now() time.Time {
	if l.Now != nil {
		return l.Now().UTC()
	}
	return time.Now().UTC()
}
