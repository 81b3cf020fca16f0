// Command infra is the AWS CDK app of adpulse: it synthesizes the one CloudFormation stack
// (AdpulseStack) that holds the ingest API, the Kinesis stream, the DynamoDB tables, the
// on-failure queue and the two Lambda functions described in docs/design.md.
//
// Run it through the pinned CLI with `make synth`, which writes
// cdk.out/AdpulseStack.template.json. Run directly (`go run ./infra`) it also writes to
// cdk.out. Each function's code is the bootstrap that `make build` puts in dist/<function>/.
//
// Settings live in Go (AdpulseStackProps and its defaults), not in cdk.json context, so the
// app and its tests synthesize the same stack.
package main
