package apikey_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/adpulse/adpulse/shared/apikey"
	"github.com/adpulse/adpulse/shared/kumotest"
)

// countingDB counts GetItem calls so that cache hits can be seen.
type countingDB struct {
	apikey.DynamoAPI
	gets int
}

func (c *countingDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput,
	opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.gets++
	return c.DynamoAPI.GetItem(ctx, in, opts...)
}

func newStore(t *testing.T) (*apikey.Store, *dynamodb.Client, *countingDB) {
	t.Helper()
	db := dynamodb.NewFromConfig(kumotest.Start(t))
	_, err := db.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:   aws.String("ApiKeys"),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("key_hash"),
			AttributeType: types.ScalarAttributeTypeS}},
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("key_hash"),
			KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatalf("create table: %v", err)
	}
	counting := &countingDB{DynamoAPI: db}
	return apikey.NewStore(counting, "ApiKeys"), db, counting
}

func TestCreateStoresOnlyTheHash(t *testing.T) {
	store, db, _ := newStore(t)
	ctx := context.Background()
	key, err := store.Create(ctx, "t_a", "demo")
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if !strings.HasPrefix(key, apikey.Prefix) || len(key) < 40 {
		t.Errorf("key %q is not a prefixed 256-bit key", key)
	}

	got, err := store.Lookup(ctx, key)
	if err != nil || got.TenantID != "t_a" || got.Label != "demo" {
		t.Fatalf("lookup: %+v, %v", got, err)
	}

	out, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("ApiKeys")})
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	for _, item := range out.Items {
		for name, v := range item {
			if s, ok := v.(*types.AttributeValueMemberS); ok && strings.Contains(s.Value, key) {
				t.Errorf("attribute %s holds the key itself", name)
			}
		}
	}
}

func TestLookupRefusesUnknownAndRevoked(t *testing.T) {
	store, db, _ := newStore(t)
	ctx := context.Background()
	key, _ := store.Create(ctx, "t_a", "to revoke")
	_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String("ApiKeys"),
		Key: map[string]types.AttributeValue{
			"key_hash": &types.AttributeValueMemberS{Value: apikey.Hash(key)}},
		UpdateExpression: aws.String("SET revoked = :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":t": &types.AttributeValueMemberBOOL{Value: true}},
	})
	if err != nil {
		t.Fatalf("revoke: %v", err)
	}

	for name, k := range map[string]string{
		"revoked": key, "never issued": "adp_" + strings.Repeat("A", 43),
		"no prefix": "sk_live_123", "empty": "",
	} {
		if _, err := store.Lookup(ctx, k); !errors.Is(err, apikey.ErrUnknownKey) {
			t.Errorf("%s: got %v, want ErrUnknownKey", name, err)
		}
	}
}

func TestCacheAvoidsRepeatReads(t *testing.T) {
	store, _, counting := newStore(t)
	ctx := context.Background()
	key, _ := store.Create(ctx, "t_a", "demo")
	cache := apikey.NewCache(store, time.Minute, time.Minute)

	for i := 0; i < 5; i++ {
		if got, err := cache.Lookup(ctx, key); err != nil || got.TenantID != "t_a" {
			t.Fatalf("lookup %d: %+v %v", i, got, err)
		}
		if _, err := cache.Lookup(ctx, "adp_unknown"); !errors.Is(err, apikey.ErrUnknownKey) {
			t.Fatalf("unknown key lookup %d: %v", i, err)
		}
	}
	if counting.gets != 2 {
		t.Errorf("%d reads for 10 lookups of 2 keys, want 2", counting.gets)
	}
}
