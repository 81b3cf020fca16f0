package apikey

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/oklog/ulid/v2"
)

// TenantIndex is the ApiKeys table's global secondary index: partition key tenant_id,
// sort key key_id, all attributes projected. Keys created before key_id existed are not
// in it (the index is sparse), so they cannot be listed or revoked through the API.
const TenantIndex = "by-tenant"

// ErrNotFound means the tenant has no key with that id.
var ErrNotFound = errors.New("api key not found")

// AdminAPI is the part of the DynamoDB client that listing and revoking need.
type AdminAPI interface {
	DynamoAPI
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (
		*dynamodb.QueryOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (
		*dynamodb.UpdateItemOutput, error)
}

// Admin manages a tenant's keys: create, list, revoke.
type Admin struct {
	*Store
	db AdminAPI
}

// NewAdmin returns an Admin over the ApiKeys table.
func NewAdmin(db AdminAPI, table string) *Admin {
	return &Admin{Store: NewStore(db, table), db: db}
}

// NewKeyID returns a new public key id: "key_" and a ULID.
func NewKeyID() string {
	return "key_" + strings.ToLower(ulid.Make().String())
}

// List returns the tenant's keys, revoked ones included, oldest first.
func (a *Admin) List(ctx context.Context, tenantID string) ([]Key, error) {
	return a.query(ctx, tenantID, "")
}

// Get returns one of the tenant's keys, or ErrNotFound.
func (a *Admin) Get(ctx context.Context, tenantID, keyID string) (Key, error) {
	keys, err := a.query(ctx, tenantID, keyID)
	if err != nil {
		return Key{}, err
	}
	if len(keys) == 0 {
		return Key{}, ErrNotFound
	}
	return keys[0], nil
}

// Revoke marks one of the tenant's keys revoked. The ingest function's cache may accept
// it for up to its positive TTL (a minute) afterwards. Revoking twice is not an error.
func (a *Admin) Revoke(ctx context.Context, tenantID, keyID string) (Key, error) {
	k, err := a.Get(ctx, tenantID, keyID)
	if err != nil {
		return Key{}, err
	}

	// The condition re-checks the owner on the base table, not only on the index.
	expr, err := expression.NewBuilder().
		WithUpdate(expression.Set(expression.Name("revoked"), expression.Value(true))).
		WithCondition(expression.Name("tenant_id").Equal(expression.Value(tenantID))).
		Build()
	if err != nil {
		return Key{}, fmt.Errorf("revoke api key: build expression: %w", err)
	}
	_, err = a.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(a.table),
		Key: map[string]types.AttributeValue{
			"key_hash": &types.AttributeValueMemberS{Value: k.Hash}},
		UpdateExpression:          aws.String(oneLine(aws.ToString(expr.Update()))),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	var cond *types.ConditionalCheckFailedException
	if errors.As(err, &cond) {
		return Key{}, ErrNotFound
	}
	if err != nil {
		return Key{}, fmt.Errorf("revoke api key %s: %w", keyID, err)
	}
	k.Revoked = true
	return k, nil
}

// query reads the tenant's keys from the index, all of them or the one with keyID.
func (a *Admin) query(ctx context.Context, tenantID, keyID string) ([]Key, error) {
	if tenantID == "" {
		return nil, errors.New("list api keys: tenant id is empty")
	}
	kc := expression.Key("tenant_id").Equal(expression.Value(tenantID))
	if keyID != "" {
		kc = kc.And(expression.Key("key_id").Equal(expression.Value(keyID)))
	}
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, fmt.Errorf("list api keys: build expression: %w", err)
	}

	var keys []Key
	in := &dynamodb.QueryInput{
		TableName: aws.String(a.table), IndexName: aws.String(TenantIndex),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}
	for {
		out, err := a.db.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list api keys of tenant %s: %w", tenantID, err)
		}
		var page []Key
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &page); err != nil {
			return nil, fmt.Errorf("decode api keys: %w", err)
		}
		keys = append(keys, page...)
		if len(out.LastEvaluatedKey) == 0 {
			return keys, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// oneLine joins update clauses with spaces; the kumo emulator does not accept newlines.
func oneLine(s string) string {
	return strings.ReplaceAll(s, "\n", " ")
}
