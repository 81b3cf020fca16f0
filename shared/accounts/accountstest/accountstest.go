// Package accountstest starts the kumo emulator with the tables and secret that sign-in,
// the authorizer and the admin function use, created as docs/auth.md specifies.
package accountstest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/adpulse/adpulse/shared/apikey"
	"github.com/adpulse/adpulse/shared/auth"
	"github.com/adpulse/adpulse/shared/kumotest"
)

// Names of the resources Start creates.
const (
	AccountsTable = "Accounts"
	APIKeysTable  = "ApiKeys"
	SigningSecret = "adpulse/signing-key"
)

// Env is a running emulator with the resources created.
type Env struct {
	Config  aws.Config
	Dynamo  *dynamodb.Client
	Secrets *secretsmanager.Client
}

// Start runs kumo for the test and creates the Accounts and ApiKeys tables and the
// signing-key secret.
func Start(t testing.TB) Env {
	t.Helper()
	cfg := kumotest.Start(t)
	env := Env{Config: cfg, Dynamo: dynamodb.NewFromConfig(cfg),
		Secrets: secretsmanager.NewFromConfig(cfg)}
	ctx := context.Background()
	if err := CreateAccountsTable(ctx, env.Dynamo, AccountsTable); err != nil {
		t.Fatal(err)
	}
	if err := CreateAPIKeysTable(ctx, env.Dynamo, APIKeysTable); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.CreateSigningKeySecret(ctx, env.Secrets, SigningSecret); err != nil {
		t.Fatal(err)
	}
	return env
}

func attr(name string) types.AttributeDefinition {
	return types.AttributeDefinition{AttributeName: aws.String(name),
		AttributeType: types.ScalarAttributeTypeS}
}

func keyElem(name string, kt types.KeyType) types.KeySchemaElement {
	return types.KeySchemaElement{AttributeName: aws.String(name), KeyType: kt}
}

// CreateAccountsTable creates the Accounts table: pk and sk strings, TTL on expires_at.
func CreateAccountsTable(ctx context.Context, db *dynamodb.Client, name string) error {
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(name), BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{attr("pk"), attr("sk")},
		KeySchema: []types.KeySchemaElement{keyElem("pk", types.KeyTypeHash),
			keyElem("sk", types.KeyTypeRange)},
	})
	if err != nil {
		return err
	}
	_, err = db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String("expires_at"), Enabled: aws.Bool(true)},
	})
	return err
}

// CreateAPIKeysTable creates the ApiKeys table with its by-tenant index.
func CreateAPIKeysTable(ctx context.Context, db *dynamodb.Client, name string) error {
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(name), BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{attr("key_hash"),
			attr("tenant_id"), attr("key_id")},
		KeySchema: []types.KeySchemaElement{keyElem("key_hash", types.KeyTypeHash)},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: aws.String(apikey.TenantIndex),
			KeySchema: []types.KeySchemaElement{keyElem("tenant_id", types.KeyTypeHash),
				keyElem("key_id", types.KeyTypeRange)},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}},
	})
	return err
}
