package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/oklog/ulid/v2"
)

// Errors the store returns for expected outcomes.
var (
	ErrNotFound       = errors.New("not found")
	ErrEmailTaken     = errors.New("email already registered")
	ErrRefreshUsed    = errors.New("refresh token already used")
	ErrFamilyRevoked  = errors.New("refresh token family revoked")
	ErrTenantNotFound = errors.New("tenant not found")
)

// DynamoAPI is the part of the DynamoDB client the store uses.
type DynamoAPI interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (
		*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (
		*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (
		*dynamodb.UpdateItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (
		*dynamodb.DeleteItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (
		*dynamodb.QueryOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput,
		...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// Store reads and writes the Accounts table.
type Store struct {
	db    DynamoAPI
	table string
}

// NewStore returns a store over the given table.
func NewStore(db DynamoAPI, table string) *Store {
	return &Store{db: db, table: table}
}

// NewID returns a new id: the prefix, an underscore and a lower-case ULID.
func NewID(prefix string) string {
	return prefix + "_" + strings.ToLower(ulid.Make().String())
}

// NormalizeEmail is the form in which emails are stored and compared.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// Key builders.
func tenantPK(tenantID string) string { return "tenant#" + tenantID }
func userSK(userID string) string     { return "user#" + userID }
func emailPK(email string) string     { return "email#" + NormalizeEmail(email) }
func familySK(userID, familyID string) string {
	return "family#" + userID + "#" + familyID
}
func refreshPK(hash string) string { return "refresh#" + hash }

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: pk},
		"sk": &types.AttributeValueMemberS{Value: sk},
	}
}

// get reads one item into out; ErrNotFound when there is none.
func (s *Store) get(ctx context.Context, pk, sk string, out any) error {
	res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: key(pk, sk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return fmt.Errorf("get %s %s: %w", pk, sk, err)
	}
	if res.Item == nil {
		return ErrNotFound
	}
	if err := attributevalue.UnmarshalMap(res.Item, out); err != nil {
		return fmt.Errorf("decode %s %s: %w", pk, sk, err)
	}
	return nil
}

// marshal encodes an item and adds its keys.
func marshal(pk, sk string, v any) (map[string]types.AttributeValue, error) {
	item, err := attributevalue.MarshalMap(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s %s: %w", pk, sk, err)
	}
	for k, v := range key(pk, sk) {
		item[k] = v
	}
	return item, nil
}

// cancelled returns the codes of a cancelled transaction's items, or nil when err is not
// a cancellation.
func cancelled(err error) []string {
	var tc *types.TransactionCanceledException
	if !errors.As(err, &tc) {
		return nil
	}
	codes := make([]string, len(tc.CancellationReasons))
	for i, r := range tc.CancellationReasons {
		codes[i] = aws.ToString(r.Code)
	}
	return codes
}

// oneLine joins update clauses with spaces; the kumo emulator does not accept newlines.
func oneLine(s *string) *string {
	return aws.String(strings.ReplaceAll(aws.ToString(s), "\n", " "))
}
