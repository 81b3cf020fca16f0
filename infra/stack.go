package main

import (
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// DefaultShardCount is the number of provisioned shards of the Events stream when
// AdpulseStackProps.ShardCount is zero.
const DefaultShardCount = 2

// AdpulseStackProps configures NewAdpulseStack. A zero field takes its default.
type AdpulseStackProps struct {
	awscdk.StackProps

	// ShardCount is the number of provisioned shards of the Events stream
	// (default DefaultShardCount).
	ShardCount int

	// AssetDir returns the directory holding the `bootstrap` of function, a folder name under
	// functions/ such as "ingest" (default DefaultAssetDir). Tests point it at a temporary
	// directory with a dummy bootstrap.
	AssetDir func(function string) string

	// CORSOrigins is the CORS allow-list of the management API, exact origins such as
	// https://console.example.com (default DefaultCORSOrigins).
	CORSOrigins []string
}

// DefaultAssetDir returns dist/<function>, where `make build` writes each function's bootstrap.
// The path is relative to the working directory, the repository root under the CDK CLI.
func DefaultAssetDir(function string) string {
	return filepath.Join("dist", function)
}

// withDefaults returns a copy of p (which may be nil) with every zero field set to its default.
func (p *AdpulseStackProps) withDefaults() AdpulseStackProps {
	var out AdpulseStackProps
	if p != nil {
		out = *p
	}
	if out.ShardCount == 0 {
		out.ShardCount = DefaultShardCount
	}
	if out.AssetDir == nil {
		out.AssetDir = DefaultAssetDir
	}
	if out.CORSOrigins == nil {
		out.CORSOrigins = DefaultCORSOrigins
	}
	return out
}

// NewAdpulseStack adds the adpulse stack to scope: REST API → ingest function → Kinesis
// stream → aggregate function → DynamoDB, with an SQS queue for what cannot be processed;
// and on the same API the management routes (sign-in, users, keys, campaigns) behind a
// Lambda authorizer.
// Construct ids follow the names contract in docs/design.md.
func NewAdpulseStack(
	scope constructs.Construct, id string, props *AdpulseStackProps,
) awscdk.Stack {
	p := props.withDefaults()
	stack := awscdk.NewStack(scope, &id, &p.StackProps)

	// Storage first: the functions' environment and grants refer to it.
	st := newStorage(stack, p.ShardCount)

	// Functions, their permissions and the stream → aggregate mapping.
	fns := newFunctions(stack, st, p.AssetDir, p.CORSOrigins)

	// Per-user request limits of the management functions (infra/ratelimit.go).
	addUserRateLimits(stack, fns)

	// The public entry point.
	api := newAPI(stack, fns)

	// Alarms to the Alarms topic and the pipeline dashboard (infra/observability.go).
	obs := addObservability(stack, st, fns, api)

	// Each function behind its alias live, deployed as a canary (infra/deploy.go).
	addDeployments(stack, fns, obs)

	addOutputs(stack, st, api.Url())

	// Accepted cdk-nag AwsSolutions findings, each with its reason (infra/nag.go).
	addNagSuppressions(stack, fns)
	return stack
}

// addOutputs exports the names and addresses that operators and the end-to-end tests read.
func addOutputs(stack awscdk.Stack, st storage, apiURL *string) {
	outputs := []struct {
		id, description string
		value           *string
	}{
		{"ApiUrl", "base URL of the API (prod stage)", apiURL},
		{"StreamName", "Kinesis stream of ingested event records", st.stream.StreamName()},
		{"AggregatesTableName", "DynamoDB table of per-shard rollups", st.aggregates.TableName()},
		{"ApiKeysTableName", "DynamoDB table of API key hashes", st.apiKeys.TableName()},
		{"ClaimsTableName", "DynamoDB table of the de-duplication log", st.claims.TableName()},
		{"FailureQueueUrl", "SQS queue of poison records, failed batches", st.failures.QueueUrl()},
		{"AccountsTableName", "DynamoDB table of tenants, users, sessions",
			st.accounts.TableName()},
		{"CampaignsTableName", "DynamoDB table of campaigns and their history",
			st.campaigns.TableName()},
		{"SigningKeyArn", "secret of the token signing keys: adpulse signing-key put",
			st.signingKey.SecretArn()},
	}
	for _, o := range outputs {
		awscdk.NewCfnOutput(stack, jsii.String(o.id), &awscdk.CfnOutputProps{
			Value:       o.value,
			Description: jsii.String(o.description),
		})
	}
}
