package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskinesis"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

// ttlAttribute is the epoch-seconds attribute DynamoDB expires items by (docs/design.md).
const ttlAttribute = "expires_at"

// Index names the functions query by (docs/auth.md, docs/campaigns.md).
const (
	keysByTenantIndex = "by-tenant"
	byCreatedIndex    = "by_created"
	byUpdatedIndex    = "by_updated"
	byNameIndex       = "by_name"
)

// storage holds the stateful resources of the stack.
type storage struct {
	stream     awskinesis.Stream
	apiKeys    awsdynamodb.Table
	aggregates awsdynamodb.Table
	claims     awsdynamodb.Table
	failures   awssqs.Queue

	// Management API (docs/auth.md, docs/campaigns.md).
	accounts     awsdynamodb.Table
	campaigns    awsdynamodb.Table
	signingKey   awssecretsmanager.Secret
	cursorSecret awssecretsmanager.Secret
}

// newStorage creates the Events stream, the tables, the secrets and the on-failure queue.
func newStorage(stack awscdk.Stack, shardCount int) storage {
	stream := awskinesis.NewStream(stack, jsii.String("Events"), &awskinesis.StreamProps{
		StreamMode:      awskinesis.StreamMode_PROVISIONED,
		ShardCount:      jsii.Number(shardCount),
		RetentionPeriod: awscdk.Duration_Hours(jsii.Number(24)),
		Encryption:      awskinesis.StreamEncryption_MANAGED,
	})

	// ApiKeys and Aggregates are retained when the stack is deleted: keys are issued to
	// customers and the aggregates are the product's data. EventClaims is the dedup log:
	// it only remembers the event_ids of the last DEDUP_WINDOW_HOURS and every item expires
	// by TTL anyway, so nothing of value is lost when it is destroyed with the stack.
	apiKeys := newTable(stack, "ApiKeys", tableSpec{
		partitionKey: "key_hash",
		removal:      awscdk.RemovalPolicy_RETAIN,
	})
	aggregates := newTable(stack, "Aggregates", tableSpec{
		partitionKey: "pk",
		sortKey:      "sk",
		ttl:          true,
		removal:      awscdk.RemovalPolicy_RETAIN,
	})
	claims := newTable(stack, "EventClaims", tableSpec{
		partitionKey: "pk",
		sortKey:      "sk",
		ttl:          true,
		removal:      awscdk.RemovalPolicy_DESTROY,
	})

	// IngestFailures is the end of the line: the stream mapping sends it the description of
	// each batch it gave up on, and the aggregate function its poison records. No consumer
	// reads it automatically, so no message can exceed a receive count and a DLQ of its own
	// would stay empty (cdk-nag's SQS3 asks for one). An operator inspects and replays
	// messages within the 14 days SQS keeps them, its maximum.
	failures := awssqs.NewQueue(stack, jsii.String("IngestFailures"), &awssqs.QueueProps{
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		EnforceSSL:      jsii.Bool(true),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
	})

	st := storage{
		stream:     stream,
		apiKeys:    apiKeys,
		aggregates: aggregates,
		claims:     claims,
		failures:   failures,
	}
	addManagementStorage(stack, &st)
	return st
}

// addManagementStorage adds what the management API keeps: the Accounts and Campaigns
// tables, the by-tenant index of ApiKeys, the signing key and the cursor secret. All of it
// is retained with the stack: users, campaigns and keys are customers' data.
func addManagementStorage(stack awscdk.Stack, st *storage) {
	// Admins list and revoke a tenant's keys through this sparse index; keys made
	// before key_id existed are not in it (docs/auth.md).
	st.apiKeys.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
		IndexName:      jsii.String(keysByTenantIndex),
		PartitionKey:   stringKey("tenant_id"),
		SortKey:        stringKey("key_id"),
		ProjectionType: awsdynamodb.ProjectionType_ALL,
	})

	st.accounts = newTable(stack, "Accounts", tableSpec{
		partitionKey: "pk",
		sortKey:      "sk",
		ttl:          true,
		removal:      awscdk.RemovalPolicy_RETAIN,
	})

	// One sort per local index; LSIs exist only if declared when the table is created.
	st.campaigns = newTable(stack, "Campaigns", tableSpec{
		partitionKey: "tenant_id",
		sortKey:      "campaign_id",
		ttl:          true, // idempotency records
		removal:      awscdk.RemovalPolicy_RETAIN,
	})
	for _, lsi := range [][2]string{
		{byCreatedIndex, "created_key"}, {byUpdatedIndex, "updated_key"},
		{byNameIndex, "name_key"},
	} {
		st.campaigns.AddLocalSecondaryIndex(&awsdynamodb.LocalSecondaryIndexProps{
			IndexName:      jsii.String(lsi[0]),
			SortKey:        stringKey(lsi[1]),
			ProjectionType: awsdynamodb.ProjectionType_ALL,
		})
	}

	st.signingKey, st.cursorSecret = newSecrets(stack)
}

// newSecrets creates the access-token signing key and the page-cursor secret.
//
// CloudFormation cannot generate an EC key, so SigningKey starts with a random string
// that is no key at all: sign-in answers 500 until an operator runs, once after the
// first deploy, `adpulse signing-key put --secret <SigningKeyArn output>` (the local
// stack does the same with auth.PutSigningKey). CursorSecret is 64 random characters
// generated by Secrets Manager; rotating it only sends clients back to page 1.
func newSecrets(stack awscdk.Stack) (signingKey, cursor awssecretsmanager.Secret) {
	signingKey = awssecretsmanager.NewSecret(stack, jsii.String("SigningKey"),
		&awssecretsmanager.SecretProps{
			Description: jsii.String("adpulse access-token signing keys, EC P-256 PEM, " +
				"the first one signs; set with adpulse signing-key put"),
			RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		})
	cursor = awssecretsmanager.NewSecret(stack, jsii.String("CursorSecret"),
		&awssecretsmanager.SecretProps{
			Description: jsii.String("adpulse HMAC key of campaign list cursors"),
			GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
				PasswordLength:     jsii.Number(64),
				ExcludePunctuation: jsii.Bool(true),
			},
			RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		})
	return signingKey, cursor
}

// tableSpec is what differs between the tables; all use string keys and on-demand billing.
type tableSpec struct {
	partitionKey string
	sortKey      string // empty: no sort key
	ttl          bool   // expire items by ttlAttribute
	removal      awscdk.RemovalPolicy
}

// newTable creates an on-demand DynamoDB table with point-in-time recovery.
func newTable(stack awscdk.Stack, id string, spec tableSpec) awsdynamodb.Table {
	props := &awsdynamodb.TableProps{
		PartitionKey: stringKey(spec.partitionKey),
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		RemovalPolicy: spec.removal,
	}
	if spec.sortKey != "" {
		props.SortKey = stringKey(spec.sortKey)
	}
	if spec.ttl {
		props.TimeToLiveAttribute = jsii.String(ttlAttribute)
	}
	return awsdynamodb.NewTable(stack, jsii.String(id), props)
}

// stringKey returns a key attribute of type S.
func stringKey(name string) *awsdynamodb.Attribute {
	return &awsdynamodb.Attribute{Name: jsii.String(name), Type: awsdynamodb.AttributeType_STRING}
}
