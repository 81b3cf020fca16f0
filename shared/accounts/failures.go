package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Failures counts failed sign-ins of one subject (an email or a source address). The
// count goes back to zero only after a whole window passes without a failure, so an
// attacker who waits out each delay still reaches the lock.
type Failures struct {
	Count       int   `dynamodbav:"count"`
	LastAt      int64 `dynamodbav:"last_at"`      // epoch seconds of the latest failure
	NextAt      int64 `dynamodbav:"next_at"`      // no attempt before this
	LockedUntil int64 `dynamodbav:"locked_until"` // no attempt before this either
	ExpiresAt   int64 `dynamodbav:"expires_at"`
}

// AccountSubject and AddressSubject name the two counters of a sign-in.
func AccountSubject(email string) string { return "account#" + NormalizeEmail(email) }

// AddressSubject names the counter of a source address.
func AddressSubject(ip string) string { return "address#" + ip }

func failPK(subject string) string { return "fail#" + subject }

// GetFailures reads a subject's counter; a subject without one has a zero counter.
func (s *Store) GetFailures(ctx context.Context, subject string) (Failures, error) {
	var f Failures
	err := s.get(ctx, failPK(subject), "fail", &f)
	if errors.Is(err, ErrNotFound) {
		return Failures{}, nil
	}
	return f, err
}

// AddFailure counts one failure at now. A counter whose last failure is a window or more
// ago starts again at one. It returns the counter as it is now.
func (s *Store) AddFailure(ctx context.Context, subject string, now time.Time,
	window time.Duration) (Failures, error) {
	cutoff := now.Add(-window).Unix()
	expires := now.Add(2 * window).Unix()
	for attempt := 0; attempt < 3; attempt++ {
		// Within the window: add one.
		err := s.updateFailures(ctx, subject,
			expression.Add(expression.Name("count"), expression.Value(1)).
				Set(expression.Name("last_at"), expression.Value(now.Unix())).
				Set(expression.Name("expires_at"), expression.Value(expires)),
			expression.Name("last_at").GreaterThan(expression.Value(cutoff)))
		var cond *types.ConditionalCheckFailedException
		if err == nil {
			return s.GetFailures(ctx, subject)
		}
		if !errors.As(err, &cond) {
			return Failures{}, err
		}

		// No counter, or a quiet window has passed: start a new one.
		err = s.updateFailures(ctx, subject,
			expression.Set(expression.Name("count"), expression.Value(1)).
				Set(expression.Name("last_at"), expression.Value(now.Unix())).
				Set(expression.Name("next_at"), expression.Value(0)).
				Set(expression.Name("expires_at"), expression.Value(expires)),
			expression.AttributeNotExists(expression.Name("pk")).
				Or(expression.Name("last_at").LessThanEqual(expression.Value(cutoff))))
		if err == nil {
			return s.GetFailures(ctx, subject)
		}
		if !errors.As(err, &cond) {
			return Failures{}, err
		}
		// Another failure moved the counter between the two writes: go round again.
	}
	return Failures{}, fmt.Errorf("count failure of %s: counter kept changing", subject)
}

// Throttle sets when the subject may try again. lockedUntil is kept past the counter's
// own expiry, so that a lock outlives the window that caused it.
func (s *Store) Throttle(ctx context.Context, subject string, nextAt, lockedUntil int64,
	expires int64) error {
	upd := expression.Set(expression.Name("next_at"), expression.Value(nextAt)).
		Set(expression.Name("expires_at"), expression.Value(expires))
	if lockedUntil > 0 {
		upd = upd.Set(expression.Name("locked_until"), expression.Value(lockedUntil))
	}
	return s.updateFailures(ctx, subject, upd, expression.AttributeExists(
		expression.Name("pk")))
}

// ClearFailures forgets a subject's failures (after a successful sign-in).
func (s *Store) ClearFailures(ctx context.Context, subject string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(s.table), Key: key(failPK(subject), "fail"),
	})
	if err != nil {
		return fmt.Errorf("clear failures of %s: %w", subject, err)
	}
	return nil
}

func (s *Store) updateFailures(ctx context.Context, subject string,
	upd expression.UpdateBuilder, cond expression.ConditionBuilder) error {
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return fmt.Errorf("failure counter: build expression: %w", err)
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table), Key: key(failPK(subject), "fail"),
		UpdateExpression:          oneLine(expr.Update()),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ReturnValues:              types.ReturnValueNone,
	})
	if err != nil {
		return fmt.Errorf("update failure counter of %s: %w", subject, err)
	}
	return nil
}
