// Command infra is the AWS CDK app of adpulse: it synthesizes the one CloudFormation stack
// (AdpulseStack) that holds the REST API, the Kinesis stream, the DynamoDB tables, the
// on-failure queue, the secrets and the Lambda functions described in docs/design.md:
// the event pipeline (ingest, aggregate) and the management API (auth, authorizer,
// admin, campaigns) of docs/auth.md and docs/campaigns.md, whose routes sit behind a
// REQUEST Lambda authorizer.
//
// Run it through the pinned CLI with `make synth`, which writes
// cdk.out/AdpulseStack.template.json. Run directly (`go run ./infra`) it also writes to
// cdk.out. Each function's code is the bootstrap that `make build` puts in dist/<function>/.
//
// Settings live in Go (AdpulseStackProps and its defaults, such as the CORS allow-list
// CORSOrigins), not in cdk.json context, so the app and its tests synthesize the same
// stack.
package main
