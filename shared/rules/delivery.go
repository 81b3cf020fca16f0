package rules

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DeliveryTTL is how long delivery log items are kept.
const DeliveryTTL = 90 * 24 * time.Hour

// Kinds of delivery log entries.
const (
	KindFiring   = "firing"   // a rule fired: one entry per episode
	KindResolved = "resolved" // a resolved notice was queued
	KindAttempt  = "attempt"  // one delivery attempt on one channel
)

// Outcomes of delivery attempts.
const (
	OutcomeDelivered = "delivered"     // accepted (2xx; SES accepted the message)
	OutcomeRetrying  = "retrying"      // failed; another attempt is scheduled
	OutcomeFailed    = "failed"        // failed for good (no retry will help)
	OutcomeDLQ       = "dead_lettered" // retries exhausted; the message is in the DLQ
	OutcomeSkipped   = "skipped"       // not sent (circuit open, duplicate, refused address)
)

// Delivery is one entry of a rule's delivery log: a firing (or resolved notice), or
// one attempt to deliver a notification on one channel.
type Delivery struct {
	NotificationID string      `json:"notification_id"`
	RuleID         string      `json:"rule_id"`
	CampaignID     string      `json:"campaign_id"`
	Kind           string      `json:"kind"`
	Episode        int64       `json:"episode"`
	Channel        int         `json:"channel,omitempty"` // index in the rule's channels
	ChannelType    ChannelType `json:"channel_type,omitempty"`
	Attempt        int         `json:"attempt,omitempty"` // 1, 2, ...
	Outcome        string      `json:"outcome,omitempty"`
	StatusCode     int         `json:"status_code,omitempty"` // HTTP status, if any
	Error          string      `json:"error,omitempty"`       // short, shown to the tenant
	At             time.Time   `json:"at"`
}

type deliveryItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	Doc       string `dynamodbav:"doc"`
	ExpiresAt int64  `dynamodbav:"expires_at"`
}

// deliverySK sorts by time, then names the entry so that writing the same entry again
// (a retried Lambda) lands on the same key.
func deliverySK(d Delivery) string {
	return fmt.Sprintf("%s#%s#%s#%02d#%04d", d.At.UTC().Format("2006-01-02T15:04:05.000000000Z"),
		d.NotificationID, d.Kind, d.Channel, d.Attempt)
}

// validDeliverySK reports whether a cursor's key looks like one deliverySK made: a
// timestamp first, valid UTF-8, short. Anything else would reach DynamoDB as a start key
// it refuses.
func validDeliverySK(sk string) bool {
	if len(sk) < 31 || len(sk) > 400 || !utf8.ValidString(sk) {
		return false
	}
	_, err := time.Parse("2006-01-02T15:04:05.000000000Z", sk[:30])
	return err == nil && sk[30] == '#'
}

// AppendDelivery adds an entry to the rule's delivery log (d.RuleID). Writing the same
// entry twice (same at, notification, kind, channel and attempt) keeps one. For a
// firing, At should be the state's LastFiredAt, so that every retry of the firing
// writes the same entry.
func (s *Store) AppendDelivery(ctx context.Context, tenant string, d Delivery) error {
	d.At = d.At.UTC()
	doc, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode delivery: %w", err)
	}
	it := deliveryItem{PK: deliveryPK + tenant + "#" + d.RuleID, SK: deliverySK(d),
		Doc: string(doc), ExpiresAt: d.At.Add(DeliveryTTL).Unix()}
	err = s.put(ctx, it, expression.AttributeNotExists(expression.Name(AttrPK)))
	if err != nil && err != ErrConflict {
		return fmt.Errorf("append delivery of %s: %w", d.NotificationID, err)
	}
	return nil
}

// Deliveries returns a rule's delivery log newest first, at most limit entries, from
// after the cursor before ("" for the newest). next is the cursor of the following
// page, "" on the last one. A cursor only ever reads the caller's own partition.
func (s *Store) Deliveries(ctx context.Context, tenant, ruleID string, limit int,
	before string) (items []Delivery, next string, err error) {
	pk := deliveryPK + tenant + "#" + ruleID
	var start map[string]types.AttributeValue
	if before != "" {
		sk, err := base64.RawURLEncoding.DecodeString(before)
		if err != nil || !validDeliverySK(string(sk)) {
			return nil, "", ErrBadCursor
		}
		start = key(pk, string(sk))
	}
	var bad error
	last, err := s.queryPage(ctx, pk, false, int32(limit), start,
		func(av map[string]types.AttributeValue) {
			var it deliveryItem
			var d Delivery
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				bad = err
				return
			}
			if err := json.Unmarshal([]byte(it.Doc), &d); err != nil {
				bad = err
				return
			}
			items = append(items, d)
		})
	if err == nil {
		err = bad
	}
	if err != nil {
		return nil, "", fmt.Errorf("read deliveries of rule %s: %w", ruleID, err)
	}
	if sk, ok := last[AttrSK].(*types.AttributeValueMemberS); ok {
		next = base64.RawURLEncoding.EncodeToString([]byte(sk.Value))
	}
	return items, next, nil
}
