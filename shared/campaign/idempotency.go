package campaign

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// IdempotencyTTL is how long a POST's Idempotency-Key is remembered.
const IdempotencyTTL = 24 * time.Hour

// Replay is the idempotency record of a POST: the key, a hash of the body it came with,
// and the first answer, replayed to a retry with the same key and body.
type Replay struct {
	Key       string            `json:"-"`
	BodyHash  string            `json:"body_hash"`
	Status    int               `json:"status"`
	Body      string            `json:"body"`
	Headers   map[string]string `json:"headers"` // Location, ETag
	ExpiresAt time.Time         `json:"expires_at"`
}

// BodyHash is the hex SHA-256 of a request body, as Replay.BodyHash holds it.
func BodyHash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// idemSK keys a record by a hash of the client's key, so any key text fits.
func idemSK(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "idem#" + hex.EncodeToString(sum[:])
}

// Replay returns the live idempotency record of the tenant's key, or nil when there is
// none (records past their expiry count as none even before DynamoDB's TTL removes them).
func (s *Store) Replay(ctx context.Context, tenant, key string) (*Replay, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table), Key: map[string]types.AttributeValue{
			AttrTenant: &types.AttributeValueMemberS{Value: tenant},
			AttrSK:     &types.AttributeValueMemberS{Value: idemSK(key)},
		},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("get idempotency record: %w", err)
	}
	if out.Item == nil {
		return nil, nil
	}
	var it item
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return nil, fmt.Errorf("unmarshal idempotency item: %w", err)
	}
	var r Replay
	if err := json.Unmarshal([]byte(it.Doc), &r); err != nil {
		return nil, fmt.Errorf("decode idempotency record: %w", err)
	}
	if !s.Now().Before(r.ExpiresAt) {
		return nil, nil
	}
	r.Key = key
	return &r, nil
}

// replayPut writes the record unless a live one holds the key (an expired record that
// TTL has not removed yet may be overwritten).
func (s *Store) replayPut(tenant string, r *Replay) (types.TransactWriteItem, error) {
	now := s.Now()
	r.ExpiresAt = now.Add(IdempotencyTTL).UTC().Truncate(time.Second)
	doc, err := json.Marshal(r)
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("encode idempotency record: %w", err)
	}
	it := item{TenantID: tenant, SK: idemSK(r.Key), Kind: "idempotency", Doc: string(doc),
		ExpiresAt: r.ExpiresAt.Unix()}
	cond := expression.AttributeNotExists(expression.Name(AttrSK)).
		Or(expression.Name(AttrTTL).LessThanEqual(expression.Value(now.Unix())))
	return s.put(it, &cond)
}
