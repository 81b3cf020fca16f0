package rules

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Errors the store returns.
var (
	ErrNotFound = errors.New("rule not found")
	// ErrConflict means the item changed since it was read: a rule's version moved
	// (a concurrent edit), or an evaluation state's version moved (another evaluation
	// claimed the transition first; the caller must not send).
	ErrConflict = errors.New("changed since it was read")
	// ErrBadCursor means a page cursor was not made by Deliveries.
	ErrBadCursor = errors.New("bad cursor")
)

// Key attribute names of the Rules table.
const (
	AttrPK  = "pk"         // partition key (S)
	AttrSK  = "sk"         // sort key (S)
	AttrTTL = "expires_at" // TTL (N, epoch seconds): delivery log items
)

// Key prefixes: each kind of item has its own partitions (see docs/rules.md).
const (
	rulePK     = "r#" // r#<tenant> / <rule id>: the rules of a tenant
	statePK    = "s#" // s#<tenant>#<campaign> / <rule id>: evaluation states
	deliveryPK = "d#" // d#<tenant>#<rule id> / <at>#<notification>#<channel>#<attempt>
)

// DB is the part of the DynamoDB client the store uses.
type DB interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (
		*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (
		*dynamodb.PutItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (
		*dynamodb.DeleteItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (
		*dynamodb.QueryOutput, error)
}

// Store keeps rules, evaluation states and the delivery log in one table.
type Store struct {
	DB    DB
	Table string
	Now   func() time.Time
}

// NewStore returns a store on the table.
func NewStore(db DB, table string) *Store {
	return &Store{DB: db, Table: table, Now: time.Now}
}

// ruleItem is a rule as stored: the JSON document (secrets included) and the
// attributes a reader may filter on.
type ruleItem struct {
	PK         string `dynamodbav:"pk"`
	SK         string `dynamodbav:"sk"`
	Doc        string `dynamodbav:"doc"`
	Version    int64  `dynamodbav:"version"`
	CampaignID string `dynamodbav:"campaign_id,omitempty"`
	Enabled    bool   `dynamodbav:"enabled"`
}

// Create writes a new rule; an id already taken gives ErrConflict.
func (s *Store) Create(ctx context.Context, r Rule) error {
	err := s.putRule(ctx, r, expression.AttributeNotExists(expression.Name(AttrPK)))
	if err != nil {
		return fmt.Errorf("create rule %s: %w", r.ID, err)
	}
	return nil
}

// Get reads a rule of the tenant; another tenant's id gives ErrNotFound.
func (s *Store) Get(ctx context.Context, tenant, id string) (Rule, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table),
		Key: key(rulePK+tenant, id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return Rule{}, fmt.Errorf("get rule %s: %w", id, err)
	}
	if out.Item == nil {
		return Rule{}, ErrNotFound
	}
	return decodeRule(tenant, out.Item)
}

// List returns every rule of the tenant, oldest first, in one Query (paged by
// DynamoDB beyond 1 MB). The stream evaluator calls it once per tenant and keeps the
// answer (Cache); ForCampaign picks a campaign's rules from it.
func (s *Store) List(ctx context.Context, tenant string) ([]Rule, error) {
	var out []Rule
	var bad error
	err := s.query(ctx, rulePK+tenant, true, 0, nil, func(item map[string]types.AttributeValue) {
		r, err := decodeRule(tenant, item)
		if err != nil {
			bad = err
			return
		}
		out = append(out, r)
	})
	if err == nil {
		err = bad
	}
	if err != nil {
		return nil, fmt.Errorf("list rules of tenant %s: %w", tenant, err)
	}
	return out, nil
}

// Update writes after over before, conditional on before's version. It sets after's
// version, updated_at and updated_by and returns it. A rule written by someone else
// since before was read gives ErrConflict.
func (s *Store) Update(ctx context.Context, before, after Rule, actor string) (Rule, error) {
	after.TenantID, after.ID = before.TenantID, before.ID
	after.CreatedAt, after.CreatedBy = before.CreatedAt, before.CreatedBy
	after.Version = before.Version + 1
	after.UpdatedAt = s.Now().UTC().Truncate(time.Millisecond)
	after.UpdatedBy = actor
	err := s.putRule(ctx, after, expression.Name("version").Equal(
		expression.Value(before.Version)))
	if err != nil {
		return Rule{}, fmt.Errorf("update rule %s: %w", before.ID, err)
	}
	return after, nil
}

// Delete removes a rule if it still has the version; otherwise ErrConflict, or
// ErrNotFound when it is gone. Its evaluation states stay (they are keyed by rule id,
// which is never reused) and its delivery log expires with its TTL.
func (s *Store) Delete(ctx context.Context, tenant, id string, version int64) error {
	expr, err := expression.NewBuilder().WithCondition(
		expression.Name("version").Equal(expression.Value(version))).Build()
	if err != nil {
		return fmt.Errorf("build condition: %w", err)
	}
	_, err = s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table),
		Key: key(rulePK+tenant, id), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()})
	if conditionFailed(err) {
		return fmt.Errorf("delete rule %s: %w", id, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("delete rule %s: %w", id, err)
	}
	return nil
}

func (s *Store) putRule(ctx context.Context, r Rule, cond expression.ConditionBuilder) error {
	doc, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode rule: %w", err)
	}
	it := ruleItem{PK: rulePK + r.TenantID, SK: r.ID, Doc: string(doc), Version: r.Version,
		CampaignID: r.CampaignID, Enabled: r.Enabled}
	return s.put(ctx, it, cond)
}

// put writes an item under a condition; a failed condition gives ErrConflict.
func (s *Store) put(ctx context.Context, it any, cond expression.ConditionBuilder) error {
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return fmt.Errorf("marshal item: %w", err)
	}
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return fmt.Errorf("build condition: %w", err)
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table),
		Item: av, ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()})
	if conditionFailed(err) {
		return ErrConflict
	}
	return err
}

// query visits every item of a partition in key order (or reverse).
func (s *Store) query(ctx context.Context, pk string, forward bool, limit int32,
	start map[string]types.AttributeValue,
	visit func(map[string]types.AttributeValue)) error {
	_, err := s.queryPage(ctx, pk, forward, limit, start, visit)
	return err
}

// queryPage visits the items of a partition in key order (or reverse), up to limit
// items when limit > 0, from after start when start is set; it returns the last key
// read when it stopped at the limit, nil when the partition is exhausted.
func (s *Store) queryPage(ctx context.Context, pk string, forward bool, limit int32,
	start map[string]types.AttributeValue,
	visit func(map[string]types.AttributeValue)) (map[string]types.AttributeValue, error) {
	expr, err := expression.NewBuilder().WithKeyCondition(
		expression.Key(AttrPK).Equal(expression.Value(pk))).Build()
	if err != nil {
		return nil, fmt.Errorf("build query: %w", err)
	}
	in := &dynamodb.QueryInput{TableName: aws.String(s.Table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values(), ScanIndexForward: aws.Bool(forward),
		ExclusiveStartKey: start}
	if limit > 0 {
		in.Limit = aws.Int32(limit)
	}
	seen := int32(0)
	for {
		out, err := s.DB.Query(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, item := range out.Items {
			visit(item)
			seen++
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil, nil
		}
		if limit > 0 && seen >= limit {
			return out.LastEvaluatedKey, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
		if limit > 0 {
			in.Limit = aws.Int32(limit - seen)
		}
	}
}

func conditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrPK: &types.AttributeValueMemberS{Value: pk},
		AttrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

func decodeRule(tenant string, av map[string]types.AttributeValue) (Rule, error) {
	var it ruleItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return Rule{}, fmt.Errorf("unmarshal rule item: %w", err)
	}
	var r Rule
	if err := json.Unmarshal([]byte(it.Doc), &r); err != nil {
		return Rule{}, fmt.Errorf("decode rule %s: %w", it.SK, err)
	}
	r.TenantID = tenant
	return r, nil
}

// TableInput describes the Rules table as the store expects it: pk (S), sk (S), billed
// per request. TTL on expires_at is set separately (UpdateTimeToLive). Tests and the
// local stack create the table from it; the CDK app must match it.
func TableInput(name string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName: aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(AttrPK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(AttrSK), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(AttrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(AttrSK), KeyType: types.KeyTypeRange},
		},
		BillingMode: types.BillingModePayPerRequest,
	}
}
