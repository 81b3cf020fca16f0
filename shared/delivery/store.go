package delivery

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Status is the state of one channel's delivery.
type Status string

// The statuses.
const (
	Pending   Status = "pending"
	Sending   Status = "sending"
	Delivered Status = "delivered"
	GaveUp    Status = "gave_up"
)

// DefaultRetention is how long state items live (TTL attribute expires_at); longer than
// any message stays on the queue and its dead-letter queue (14 days each).
const DefaultRetention = 90 * 24 * time.Hour

// DB is the part of the DynamoDB client the store uses.
type DB interface {
	UpdateItem(context.Context, *dynamodb.UpdateItemInput,
		...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	GetItem(context.Context, *dynamodb.GetItemInput,
		...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
}

// Key names one channel of one notification.
type Key struct {
	TenantID       string
	NotificationID string
	Channel        int
}

// key returns the item key of the channel's state.
func (k Key) key() map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "dc#" + k.TenantID + "#" + k.NotificationID},
		"sk": &types.AttributeValueMemberS{Value: fmt.Sprintf("c%02d", k.Channel)},
	}
}

// Claim is the outcome of Store.Claim.
type Claim struct {
	// Status is Sending when this caller now holds the lease; otherwise the status that
	// kept it from claiming (Delivered, or Sending while another caller's lease runs).
	Status Status
	// Attempt is the number of this caller's attempt (1 for the first) when claimed.
	Attempt int
	// LeaseUntil is when the holder's lease ends, when Status is Sending.
	LeaseUntil time.Time
}

// Store reads and writes the delivery log in Table.
type Store struct {
	DB        DB
	Table     string
	Retention time.Duration // default DefaultRetention
}

// Claim takes the lease on a channel's delivery until leaseUntil, unless it is already
// delivered or another caller's lease has not ended. A state item still pending (a
// failed attempt) or gave_up (a message redriven from the dead-letter queue) is claimed
// again. The conditional write makes concurrent copies of one message send at most once
// per lease.
func (s *Store) Claim(ctx context.Context, k Key, now, leaseUntil time.Time) (Claim, error) {
	cond := expression.Or(
		expression.AttributeNotExists(expression.Name("pk")),
		expression.Name("status").In(expression.Value(Pending), expression.Value(GaveUp)),
		expression.And(expression.Name("status").Equal(expression.Value(Sending)),
			expression.Name("lease_until").LessThan(expression.Value(now.UnixMilli()))),
	)
	upd := expression.Set(expression.Name("status"), expression.Value(Sending)).
		Set(expression.Name("lease_until"), expression.Value(leaseUntil.UnixMilli())).
		Set(expression.Name("expires_at"), expression.Value(s.expiry(now))).
		Add(expression.Name("attempts"), expression.Value(1))
	expr, err := expression.NewBuilder().WithCondition(cond).WithUpdate(upd).Build()
	if err != nil {
		return Claim{}, fmt.Errorf("build claim of %s/%d: %w", k.NotificationID, k.Channel, err)
	}

	out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table), Key: k.key(),
		ConditionExpression: expr.Condition(), UpdateExpression: oneLine(expr.Update()),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ReturnValues: types.ReturnValueUpdatedNew,
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		st, err := s.State(ctx, k)
		if err != nil {
			return Claim{}, err
		}
		return Claim{Status: st.Status, LeaseUntil: st.LeaseUntil}, nil
	}
	if err != nil {
		return Claim{}, fmt.Errorf("claim %s/%d: %w", k.NotificationID, k.Channel, err)
	}
	var got struct {
		Attempts int `dynamodbav:"attempts"`
	}
	if err := attributevalue.UnmarshalMap(out.Attributes, &got); err != nil {
		return Claim{}, fmt.Errorf("read claim of %s/%d: %w", k.NotificationID, k.Channel, err)
	}
	return Claim{Status: Sending, Attempt: got.Attempts, LeaseUntil: leaseUntil}, nil
}

// MarkDelivered settles the channel as delivered. It is unconditional: whoever holds
// the lease, a send that succeeded is the truth.
func (s *Store) MarkDelivered(ctx context.Context, k Key, at time.Time) error {
	upd := expression.Set(expression.Name("status"), expression.Value(Delivered)).
		Set(expression.Name("delivered_at"), expression.Value(at.UnixMilli())).
		Remove(expression.Name("lease_until"))
	return s.settle(ctx, k, upd, nil, "mark delivered")
}

// Release returns the channel to pending after failed attempt n, so the next copy of the
// message claims it at once. It does nothing when another caller holds a newer claim.
func (s *Store) Release(ctx context.Context, k Key, n int, lastError string) error {
	upd := expression.Set(expression.Name("status"), expression.Value(Pending)).
		Set(expression.Name("last_error"), expression.Value(lastError)).
		Remove(expression.Name("lease_until"))
	return s.settle(ctx, k, upd, ownClaim(n), "release")
}

// GiveUp settles the channel as given up after attempt n with the reason, e.g.
// "gave up after 6 attempts: status 500".
func (s *Store) GiveUp(ctx context.Context, k Key, n int, reason string) error {
	upd := expression.Set(expression.Name("status"), expression.Value(GaveUp)).
		Set(expression.Name("last_error"), expression.Value(reason)).
		Remove(expression.Name("lease_until"))
	return s.settle(ctx, k, upd, ownClaim(n), "give up")
}

// ownClaim is true while attempt n's claim is the latest one.
func ownClaim(n int) *expression.ConditionBuilder {
	c := expression.Name("status").Equal(expression.Value(Sending)).
		And(expression.Name("attempts").Equal(expression.Value(n)))
	return &c
}

func (s *Store) settle(ctx context.Context, k Key, upd expression.UpdateBuilder,
	cond *expression.ConditionBuilder, what string) error {
	b := expression.NewBuilder().WithUpdate(upd)
	if cond != nil {
		b = b.WithCondition(*cond)
	}
	expr, err := b.Build()
	if err != nil {
		return fmt.Errorf("build %s of %s/%d: %w", what, k.NotificationID, k.Channel, err)
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table), Key: k.key(),
		ConditionExpression: expr.Condition(), UpdateExpression: oneLine(expr.Update()),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return nil // a newer claim owns the state now; its holder settles it
	}
	if err != nil {
		return fmt.Errorf("%s %s/%d: %w", what, k.NotificationID, k.Channel, err)
	}
	return nil
}

// State is a channel's state item.
type State struct {
	Status      Status
	Attempts    int
	LeaseUntil  time.Time
	LastError   string
	DeliveredAt time.Time
}

// State reads a channel's state (strongly consistent). A channel never claimed is
// Pending with no attempts.
func (s *Store) State(ctx context.Context, k Key) (State, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table),
		Key: k.key(), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return State{}, fmt.Errorf("read state of %s/%d: %w", k.NotificationID, k.Channel, err)
	}
	if out.Item == nil {
		return State{Status: Pending}, nil
	}
	var raw struct {
		Status      Status `dynamodbav:"status"`
		Attempts    int    `dynamodbav:"attempts"`
		LeaseUntil  int64  `dynamodbav:"lease_until"`
		LastError   string `dynamodbav:"last_error"`
		DeliveredAt int64  `dynamodbav:"delivered_at"`
	}
	if err := attributevalue.UnmarshalMap(out.Item, &raw); err != nil {
		return State{}, fmt.Errorf("decode state of %s/%d: %w", k.NotificationID, k.Channel, err)
	}
	st := State{Status: raw.Status, Attempts: raw.Attempts, LastError: raw.LastError}
	if raw.LeaseUntil > 0 {
		st.LeaseUntil = time.UnixMilli(raw.LeaseUntil)
	}
	if raw.DeliveredAt > 0 {
		st.DeliveredAt = time.UnixMilli(raw.DeliveredAt)
	}
	return st, nil
}

func (s *Store) expiry(now time.Time) int64 {
	r := s.Retention
	if r <= 0 {
		r = DefaultRetention
	}
	return now.Add(r).Unix()
}

// oneLine joins an update expression's clauses with spaces instead of the builder's
// newlines; the kumo emulator only finds clauses after a space.
func oneLine(expr *string) *string {
	return aws.String(strings.ReplaceAll(aws.ToString(expr), "\n", " "))
}
