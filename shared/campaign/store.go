package campaign

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
	"github.com/oklog/ulid/v2"
)

// Errors the store returns; the API maps them to statuses.
var (
	ErrNotFound        = errors.New("campaign not found")
	ErrVersionConflict = errors.New("campaign changed since it was read")
	ErrKeyInUse        = errors.New("idempotency key already used")
	// ErrBusy means DynamoDB refused a write because another transaction on the same
	// item was in flight (TransactionConflict); the write did not happen.
	ErrBusy = errors.New("campaign is being written by another transaction")
)

// Key attribute names of the Campaigns table.
const (
	AttrTenant = "tenant_id"   // partition key (S)
	AttrSK     = "campaign_id" // sort key (S): campaign id, or a prefixed audit/idempotency key
	AttrTTL    = "expires_at"  // TTL attribute (N, epoch seconds) of idempotency records
)

// DB is the part of the DynamoDB client the store uses.
type DB interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (
		*dynamodb.GetItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (
		*dynamodb.QueryOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput,
		...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// Store keeps campaigns, their audit entries and idempotency records in one table.
type Store struct {
	DB    DB
	Table string
	Now   func() time.Time
}

// NewStore returns a store on the table.
func NewStore(db DB, table string) *Store {
	return &Store{DB: db, Table: table, Now: time.Now}
}

// item is a campaign as stored: the JSON document plus the attributes that keys,
// indexes and filters need.
type item struct {
	TenantID   string   `dynamodbav:"tenant_id"`
	SK         string   `dynamodbav:"campaign_id"`
	Kind       string   `dynamodbav:"kind"`
	Doc        string   `dynamodbav:"doc"`
	Version    int64    `dynamodbav:"version,omitempty"`
	Status     string   `dynamodbav:"status,omitempty"`
	BrandID    string   `dynamodbav:"brand_id,omitempty"`
	Channels   []string `dynamodbav:"channels,omitempty"`
	CreatedKey string   `dynamodbav:"created_key,omitempty"`
	UpdatedKey string   `dynamodbav:"updated_key,omitempty"`
	NameKey    string   `dynamodbav:"name_key,omitempty"`
	ExpiresAt  int64    `dynamodbav:"expires_at,omitempty"`
}

// New makes a draft campaign of the tenant from a validated spec.
func New(tenant, actor string, spec Spec, now time.Time) Campaign {
	now = now.UTC().Truncate(time.Millisecond)
	return Campaign{ID: "cmp_" + ulid.Make().String(), TenantID: tenant, Spec: spec,
		Status: Draft, Version: 1, CreatedAt: now, CreatedBy: actor, UpdatedAt: now,
		UpdatedBy: actor}
}

// Get reads a campaign of the tenant; another tenant's id gives ErrNotFound.
func (s *Store) Get(ctx context.Context, tenant, id string) (Campaign, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table), Key: key(tenant, id), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Campaign{}, fmt.Errorf("get campaign %s: %w", id, err)
	}
	if out.Item == nil {
		return Campaign{}, ErrNotFound
	}
	return decodeItem(out.Item)
}

// Create writes a new campaign with its "create" audit entry and, when idem is not nil,
// the idempotency record of the request, all or nothing. A record already holding the
// key gives ErrKeyInUse.
func (s *Store) Create(ctx context.Context, c Campaign, idem *Replay) error {
	changes, err := Diff(nil, view(c))
	if err != nil {
		return fmt.Errorf("diff campaign %s: %w", c.ID, err)
	}
	puts := []types.TransactWriteItem{}
	put, err := s.campaignPut(c, expression.AttributeNotExists(expression.Name(AttrSK)))
	if err != nil {
		return err
	}
	puts = append(puts, put)
	if put, err = s.auditPut(c, "create", changes); err != nil {
		return err
	}
	puts = append(puts, put)
	if idem != nil {
		if put, err = s.replayPut(c.TenantID, idem); err != nil {
			return err
		}
		puts = append(puts, put)
	}

	err = s.transact(ctx, puts)
	if failed(err, 2) {
		return ErrKeyInUse
	}
	if err != nil {
		return fmt.Errorf("create campaign %s: %w", c.ID, err)
	}
	return nil
}

// Update writes after over before, conditional on before's version, with an audit entry
// naming the action and the changed fields. It sets after's version, updated_at and
// updated_by and returns it. A write that changes nothing is skipped and returns
// before. A campaign written by someone else since before was read gives
// ErrVersionConflict; a concurrent transaction on it gives ErrBusy.
func (s *Store) Update(ctx context.Context, before, after Campaign, actor,
	action string) (Campaign, error) {
	changes, err := Diff(view(before), view(after))
	if err != nil {
		return Campaign{}, fmt.Errorf("diff campaign %s: %w", before.ID, err)
	}
	if len(changes) == 0 {
		return before, nil
	}
	after.TenantID, after.ID = before.TenantID, before.ID
	after.CreatedAt, after.CreatedBy = before.CreatedAt, before.CreatedBy
	after.Version = before.Version + 1
	after.UpdatedAt = s.Now().UTC().Truncate(time.Millisecond)
	after.UpdatedBy = actor

	cond := expression.Name("version").Equal(expression.Value(before.Version))
	put, err := s.campaignPut(after, cond)
	if err != nil {
		return Campaign{}, err
	}
	audit, err := s.auditPut(after, action, changes)
	if err != nil {
		return Campaign{}, err
	}
	err = s.transact(ctx, []types.TransactWriteItem{put, audit})
	if failed(err, 0) || failed(err, 1) {
		return Campaign{}, ErrVersionConflict
	}
	if cancelled(err, "TransactionConflict") {
		return Campaign{}, ErrBusy
	}
	if err != nil {
		return Campaign{}, fmt.Errorf("update campaign %s: %w", before.ID, err)
	}
	return after, nil
}

// view is what the audit log compares: the client's fields and the status.
func view(c Campaign) any {
	return struct {
		Spec
		Status Status `json:"status"`
	}{c.Spec, c.Status}
}

func (s *Store) campaignPut(c Campaign,
	cond expression.ConditionBuilder) (types.TransactWriteItem, error) {
	doc, err := json.Marshal(c)
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("encode campaign %s: %w", c.ID, err)
	}
	channels := make([]string, len(c.Channels))
	for i, ch := range c.Channels {
		channels[i] = string(ch)
	}
	it := item{TenantID: c.TenantID, SK: c.ID, Kind: "campaign", Doc: string(doc),
		Version: c.Version, Status: string(c.Status), BrandID: c.BrandID, Channels: channels,
		CreatedKey: SortKey(c, SortCreated), UpdatedKey: SortKey(c, SortUpdated),
		NameKey: SortKey(c, SortName)}
	return s.put(it, &cond)
}

func (s *Store) put(it item, cond *expression.ConditionBuilder) (types.TransactWriteItem,
	error) {
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("marshal item %s: %w", it.SK, err)
	}
	p := &types.Put{TableName: aws.String(s.Table), Item: av}
	if cond != nil {
		expr, err := expression.NewBuilder().WithCondition(*cond).Build()
		if err != nil {
			return types.TransactWriteItem{}, fmt.Errorf("build condition: %w", err)
		}
		p.ConditionExpression = expr.Condition()
		p.ExpressionAttributeNames = expr.Names()
		p.ExpressionAttributeValues = expr.Values()
	}
	return types.TransactWriteItem{Put: p}, nil
}

func (s *Store) transact(ctx context.Context, items []types.TransactWriteItem) error {
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: items,
	})
	return err
}

// failed reports whether err is a cancelled transaction whose i-th item failed its
// condition.
func failed(err error, i int) bool {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) || i >= len(tce.CancellationReasons) {
		return false
	}
	return aws.ToString(tce.CancellationReasons[i].Code) == "ConditionalCheckFailed"
}

// cancelled reports whether err is a cancelled transaction of which an item failed with
// the code.
func cancelled(err error, code string) bool {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return false
	}
	for _, r := range tce.CancellationReasons {
		if aws.ToString(r.Code) == code {
			return true
		}
	}
	return false
}

func key(tenant, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrTenant: &types.AttributeValueMemberS{Value: tenant},
		AttrSK:     &types.AttributeValueMemberS{Value: sk},
	}
}

func decodeItem(av map[string]types.AttributeValue) (Campaign, error) {
	var it item
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return Campaign{}, fmt.Errorf("unmarshal campaign item: %w", err)
	}
	var c Campaign
	if err := json.Unmarshal([]byte(it.Doc), &c); err != nil {
		return Campaign{}, fmt.Errorf("decode campaign %s: %w", it.SK, err)
	}
	c.TenantID = it.TenantID
	return c, nil
}
