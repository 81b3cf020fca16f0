package capping

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Attribute names of the Capping table (construct id Capping): pk (S), sk (S), TTL
// expires_at (N, epoch seconds). Item kinds, by key:
//
//	pk <tenant>#id#<kind>:<value>  sk link           person (S), members (SS)
//	pk <tenant>#p#<key>            sk <campaign>     one N attribute per bucket
//	pk <tenant>#ev#<event id>      sk counted        owner (S): the impression is counted
//	pk <tenant>#cfg#<campaign>     sk campaign|ad#<ad>  doc (S): caps as JSON
const (
	AttrPK      = "pk"
	AttrSK      = "sk"
	AttrExpires = "expires_at"
	attrPerson  = "person"
	attrMembers = "members"
	attrOwner   = "owner"
	attrDoc     = "doc"
)

// LinkTTL is how long an identifier link lives after it was last written.
const LinkTTL = 400 * 24 * time.Hour

// maxBatchGet is DynamoDB's limit of keys per BatchGetItem.
const maxBatchGet = 100

// DynamoAPI is the part of the DynamoDB client the store uses.
type DynamoAPI interface {
	BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (
		*dynamodb.BatchGetItemOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput,
		...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (
		*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (
		*dynamodb.UpdateItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (
		*dynamodb.QueryOutput, error)
}

// Dynamo is the DynamoDB Store on the Capping table.
type Dynamo struct {
	DB    DynamoAPI
	Table string
	Now   func() time.Time
}

var _ Store = (*Dynamo)(nil)

// NewDynamo returns the store on a table.
func NewDynamo(db DynamoAPI, table string) *Dynamo {
	return &Dynamo{DB: db, Table: table, Now: time.Now}
}

func keyOf(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrPK: &types.AttributeValueMemberS{Value: pk},
		AttrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

func linkKey(tenant, key string) map[string]types.AttributeValue {
	return keyOf(tenant+"#id#"+key, "link")
}

func counterKey(tenant string, r Ref) map[string]types.AttributeValue {
	return keyOf(tenant+"#p#"+r.Key, r.Campaign)
}

func str(av types.AttributeValue) string {
	if s, ok := av.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// Links implements Store with one BatchGetItem per 100 keys, in parallel.
func (d *Dynamo) Links(ctx context.Context, tenant string, keys []string) (map[string]Link, error) {
	ks := make([]map[string]types.AttributeValue, len(keys))
	for i, k := range keys {
		ks[i] = linkKey(tenant, k)
	}
	items, err := d.batchGet(ctx, ks)
	if err != nil {
		return nil, fmt.Errorf("read links: %w", err)
	}
	prefix := tenant + "#id#"
	out := make(map[string]Link, len(items))
	for _, it := range items {
		l := Link{Person: str(it[attrPerson])}
		if ss, ok := it[attrMembers].(*types.AttributeValueMemberSS); ok {
			l.Members = ss.Value
		}
		out[strings.TrimPrefix(str(it[AttrPK]), prefix)] = l
	}
	return out, nil
}

// Counters implements Store with one BatchGetItem per 100 refs, in parallel.
func (d *Dynamo) Counters(ctx context.Context, tenant string, refs []Ref) (map[Ref]Counts, error) {
	ks := make([]map[string]types.AttributeValue, len(refs))
	for i, r := range refs {
		ks[i] = counterKey(tenant, r)
	}
	items, err := d.batchGet(ctx, ks)
	if err != nil {
		return nil, fmt.Errorf("read counters: %w", err)
	}
	prefix := tenant + "#p#"
	out := make(map[Ref]Counts, len(items))
	for _, it := range items {
		c := make(Counts, len(it))
		for name, av := range it {
			n, ok := av.(*types.AttributeValueMemberN)
			if !ok || name == AttrExpires {
				continue
			}
			c[name] = parseCount(n.Value)
		}
		out[Ref{Key: strings.TrimPrefix(str(it[AttrPK]), prefix), Campaign: str(it[AttrSK])}] = c
	}
	return out, nil
}

// parseCount reads a counter; emulators may write integers as floats ("3.0").
func parseCount(s string) int64 {
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v
	}
	f, _ := strconv.ParseFloat(s, 64)
	return int64(f + 0.5)
}

// batchGet reads keys in chunks of 100 in parallel; unprocessed keys are retried a few
// times with backoff, then the read fails.
func (d *Dynamo) batchGet(ctx context.Context,
	keys []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	var (
		mu       sync.Mutex
		out      []map[string]types.AttributeValue
		firstErr error
		wg       sync.WaitGroup
	)
	for start := 0; start < len(keys); start += maxBatchGet {
		chunk := keys[start:min(start+maxBatchGet, len(keys))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			items, err := d.batchGetChunk(ctx, chunk)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			out = append(out, items...)
		}()
	}
	wg.Wait()
	return out, firstErr
}

func (d *Dynamo) batchGetChunk(ctx context.Context,
	keys []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	var out []map[string]types.AttributeValue
	req := map[string]types.KeysAndAttributes{d.Table: {Keys: keys}}
	for attempt := 0; ; attempt++ {
		res, err := d.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return nil, err
		}
		out = append(out, res.Responses[d.Table]...)
		if len(res.UnprocessedKeys[d.Table].Keys) == 0 {
			return out, nil
		}
		if attempt == 3 {
			return nil, errors.New("batch get: keys left unprocessed after 4 attempts")
		}
		req = res.UnprocessedKeys
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(5<<attempt) * time.Millisecond):
		}
	}
}

// Count implements Store: one TransactWriteItems of the event's "counted" mark (a put
// that fails if the mark exists) and the counter update.
func (d *Dynamo) Count(ctx context.Context, tenant string, ref Ref, inc *Increment) error {
	markCond, err := expression.NewBuilder().
		WithCondition(expression.AttributeNotExists(expression.Name(AttrPK))).Build()
	if err != nil {
		return err
	}
	upd, err := counterUpdate(inc)
	if err != nil {
		return err
	}

	_, err = d.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{
				TableName: aws.String(d.Table),
				Item: map[string]types.AttributeValue{
					AttrPK:    &types.AttributeValueMemberS{Value: tenant + "#ev#" + inc.EventID},
					AttrSK:    &types.AttributeValueMemberS{Value: "counted"},
					attrOwner: &types.AttributeValueMemberS{Value: inc.Owner},
					AttrExpires: &types.AttributeValueMemberN{
						Value: strconv.FormatInt(inc.MarkUntil.Unix(), 10)},
				},
				ConditionExpression:      markCond.Condition(),
				ExpressionAttributeNames: markCond.Names(),
			}},
			{Update: &types.Update{
				TableName:                 aws.String(d.Table),
				Key:                       counterKey(tenant, ref),
				UpdateExpression:          aws.String(oneLine(*upd.Update())),
				ExpressionAttributeNames:  upd.Names(),
				ExpressionAttributeValues: upd.Values(),
			}},
		},
	})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && len(tce.CancellationReasons) > 0 &&
		aws.ToString(tce.CancellationReasons[0].Code) == "ConditionalCheckFailed" {
		return ErrAlreadyCounted
	}
	if err != nil {
		return fmt.Errorf("count %s: %w", inc.EventID, err)
	}
	return nil
}

// counterUpdate builds "ADD <bucket> 1, ... SET expires_at = :e REMOVE <stale>, ...".
func counterUpdate(inc *Increment) (expression.Expression, error) {
	u := expression.Set(expression.Name(AttrExpires), expression.Value(inc.ExpiresAt.Unix()))
	added := make(map[string]bool, len(inc.Add))
	for _, a := range inc.Add {
		u = u.Add(expression.Name(a), expression.Value(1))
		added[a] = true
	}
	for _, r := range inc.Remove {
		if !added[r] {
			u = u.Remove(expression.Name(r))
		}
	}
	return expression.NewBuilder().WithUpdate(u).Build()
}

// oneLine joins the clauses of a built update expression with spaces: kumo only
// recognises clauses separated by spaces (AWS accepts both).
func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

// AddLink implements Store: a conditional put of the link (the first link wins), then
// the person's root and the other members learn the new member. Every step is
// idempotent, so a retried batch repeats it harmlessly.
func (d *Dynamo) AddLink(ctx context.Context, tenant, key, person string, members []string) error {
	exp := strconv.FormatInt(d.Now().Add(LinkTTL).Unix(), 10)
	cond, err := expression.NewBuilder().
		WithCondition(expression.AttributeNotExists(expression.Name(AttrPK))).Build()
	if err != nil {
		return err
	}
	item := linkKey(tenant, key)
	item[attrPerson] = &types.AttributeValueMemberS{Value: person}
	item[attrMembers] = &types.AttributeValueMemberSS{Value: addMember(members, key)}
	item[AttrExpires] = &types.AttributeValueMemberN{Value: exp}
	_, err = d.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(d.Table), Item: item,
		ConditionExpression:      cond.Condition(),
		ExpressionAttributeNames: cond.Names(),
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil // linked already: the first link wins
	}
	if err != nil {
		return fmt.Errorf("link %s: %w", key, err)
	}

	// The root (the person's own identifier) and every member learn the new member.
	if err := d.addMember(ctx, tenant, person, person, key, exp, true); err != nil {
		return err
	}
	for _, o := range members {
		if o == key || o == person {
			continue
		}
		if err := d.addMember(ctx, tenant, o, person, key, exp, false); err != nil {
			return err
		}
	}
	return nil
}

// addMember adds key to the members of the link item of o; the root is created when
// missing, other members only updated.
func (d *Dynamo) addMember(ctx context.Context, tenant, o, person, key, exp string,
	root bool) error {
	u := expression.Add(expression.Name(attrMembers), expression.Value(
		&types.AttributeValueMemberSS{Value: []string{key}})).
		Set(expression.Name(AttrExpires), expression.Value(
			&types.AttributeValueMemberN{Value: exp}))
	b := expression.NewBuilder()
	if root {
		u = u.Set(expression.Name(attrPerson), expression.IfNotExists(
			expression.Name(attrPerson), expression.Value(person)))
	} else {
		b = b.WithCondition(expression.AttributeExists(expression.Name(AttrPK)))
	}
	expr, err := b.WithUpdate(u).Build()
	if err != nil {
		return err
	}
	_, err = d.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(d.Table), Key: linkKey(tenant, o),
		UpdateExpression:          aws.String(oneLine(*expr.Update())),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("add member %s to %s: %w", key, o, err)
	}
	return nil
}

// TableInput is the Capping table's definition, for tests and the local stack.
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
