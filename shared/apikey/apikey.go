package apikey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
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

// Prefix starts every ingest key, so that a leaked key is recognisable by secret scanners.
const Prefix = "adp_"

// ErrUnknownKey means the key is not one the store knows, or it was revoked.
var ErrUnknownKey = errors.New("unknown or revoked API key")

// DynamoAPI is the part of the DynamoDB client the store uses.
type DynamoAPI interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (
		*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (
		*dynamodb.PutItemOutput, error)
}

// Key is what the store keeps about one API key: never the key itself.
type Key struct {
	Hash      string `dynamodbav:"key_hash"`
	KeyID     string `dynamodbav:"key_id,omitempty"` // public id; keys made before it have none
	TenantID  string `dynamodbav:"tenant_id"`
	Label     string `dynamodbav:"label"`
	Hint      string `dynamodbav:"hint"` // the first characters, to tell keys apart in lists
	CreatedAt string `dynamodbav:"created_at"`
	Revoked   bool   `dynamodbav:"revoked"`
}

// Store reads and writes keys in the ApiKeys table.
type Store struct {
	db    DynamoAPI
	table string
}

// NewStore returns a store over the given table.
func NewStore(db DynamoAPI, table string) *Store {
	return &Store{db: db, table: table}
}

// Generate returns a new random key.
func Generate() (string, error) {
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("read random bytes: %w", err)
	}
	return Prefix + base64.RawURLEncoding.EncodeToString(buf), nil
}

// Hash returns the hex SHA-256 of a key, the form in which keys are stored.
func Hash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// Create issues a key for a tenant and returns it. It is the only time the key is seen.
func (s *Store) Create(ctx context.Context, tenantID, label string) (string, error) {
	_, key, err := s.CreateKey(ctx, tenantID, label)
	return key, err
}

// CreateKey is Create that also returns the stored record, whose KeyID names the key in
// lists and revocations.
func (s *Store) CreateKey(ctx context.Context, tenantID, label string) (Key, string, error) {
	if tenantID == "" {
		return Key{}, "", errors.New("create api key: tenant id is empty")
	}
	key, err := Generate()
	if err != nil {
		return Key{}, "", fmt.Errorf("create api key: %w", err)
	}

	rec := Key{
		Hash: Hash(key), KeyID: NewKeyID(), TenantID: tenantID, Label: label,
		Hint: key[:len(Prefix)+4], CreatedAt: time.Now().UTC().Format(time.RFC3339),
	}
	item, err := attributevalue.MarshalMap(rec)
	if err != nil {
		return Key{}, "", fmt.Errorf("create api key: encode: %w", err)
	}
	cond, err := expression.NewBuilder().
		WithCondition(expression.AttributeNotExists(expression.Name("key_hash"))).Build()
	if err != nil {
		return Key{}, "", fmt.Errorf("create api key: build condition: %w", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table), Item: item,
		ConditionExpression:      cond.Condition(),
		ExpressionAttributeNames: cond.Names(),
	})
	if err != nil {
		return Key{}, "", fmt.Errorf("create api key for tenant %s: %w", tenantID, err)
	}
	return rec, key, nil
}

// Lookup returns the live key record for a presented key, or ErrUnknownKey.
func (s *Store) Lookup(ctx context.Context, key string) (Key, error) {
	if !strings.HasPrefix(key, Prefix) || len(key) > 128 {
		return Key{}, ErrUnknownKey
	}
	return s.lookupHash(ctx, Hash(key))
}

func (s *Store) lookupHash(ctx context.Context, hash string) (Key, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table),
		Key:       map[string]types.AttributeValue{"key_hash": &types.AttributeValueMemberS{Value: hash}},
	})
	if err != nil {
		return Key{}, fmt.Errorf("look up api key: %w", err)
	}
	if out.Item == nil {
		return Key{}, ErrUnknownKey
	}

	var rec Key
	if err := attributevalue.UnmarshalMap(out.Item, &rec); err != nil {
		return Key{}, fmt.Errorf("decode api key record: %w", err)
	}
	if rec.Revoked || rec.TenantID == "" {
		return Key{}, ErrUnknownKey
	}
	return rec, nil
}
