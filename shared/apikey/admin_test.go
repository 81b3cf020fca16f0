package apikey_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/adpulse/adpulse/shared/apikey"
	"github.com/adpulse/adpulse/shared/kumotest"
)

// CreateIndexedTable creates the ApiKeys table with its by-tenant index, as docs/auth.md
// asks the CDK app to.
func createIndexedTable(t *testing.T, db *dynamodb.Client) {
	t.Helper()
	s := func(v string) *string { return aws.String(v) }
	_, err := db.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName: s("ApiKeys"), BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: s("key_hash"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: s("tenant_id"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: s("key_id"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: s("key_hash"), KeyType: types.KeyTypeHash}},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: s(apikey.TenantIndex),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: s("tenant_id"), KeyType: types.KeyTypeHash},
				{AttributeName: s("key_id"), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}},
	})
	if err != nil {
		t.Fatalf("create table: %v", err)
	}
}

func TestAdminListAndRevokeByTenant(t *testing.T) {
	db := dynamodb.NewFromConfig(kumotest.Start(t))
	createIndexedTable(t, db)
	admin := apikey.NewAdmin(db, "ApiKeys")
	ctx := context.Background()

	recA1, keyA1, err := admin.CreateKey(ctx, "t_a", "first")
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	keyA2, err := admin.Create(ctx, "t_a", "second") // the old API still fills key_id
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	recB, _, _ := admin.CreateKey(ctx, "t_b", "other tenant")

	list, err := admin.List(ctx, "t_a")
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if len(list) != 2 || list[0].KeyID != recA1.KeyID || list[0].Label != "first" ||
		list[1].Label != "second" || list[1].KeyID == "" {
		t.Fatalf("list t_a: got %+v, want first then second", list)
	}

	// Tenant B cannot revoke A's key, and A's key stays valid.
	if _, err := admin.Revoke(ctx, "t_b", recA1.KeyID); !errors.Is(err, apikey.ErrNotFound) {
		t.Errorf("revoke across tenants: got %v, want ErrNotFound", err)
	}
	if _, err := admin.Lookup(ctx, keyA1); err != nil {
		t.Errorf("lookup after foreign revoke: %v", err)
	}

	got, err := admin.Revoke(ctx, "t_a", recA1.KeyID)
	if err != nil || !got.Revoked {
		t.Fatalf("revoke: %+v %v", got, err)
	}
	if _, err := admin.Lookup(ctx, keyA1); !errors.Is(err, apikey.ErrUnknownKey) {
		t.Errorf("lookup of a revoked key: got %v, want ErrUnknownKey", err)
	}
	if _, err := admin.Lookup(ctx, keyA2); err != nil {
		t.Errorf("the other key stopped working: %v", err)
	}
	if _, err := admin.Get(ctx, "t_a", recB.KeyID); !errors.Is(err, apikey.ErrNotFound) {
		t.Errorf("get across tenants: got %v, want ErrNotFound", err)
	}
}
