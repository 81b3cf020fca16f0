// Command adpulse administers the platform from an operator's shell:
//
//	adpulse tenant create --name NAME --admin-email EMAIL [--usage-plan ID] [--json]
//	adpulse tenant attach-plan --tenant TENANT_ID --usage-plan ID
//	adpulse signing-key create --secret NAME
//	adpulse signing-key put --secret NAME_OR_ARN
//	adpulse dlq replay --from QUEUE_URL --to QUEUE_URL_OR_STREAM [--max N]
//
// "signing-key create" creates a secret holding a fresh P-256 key; "signing-key put"
// writes a fresh key into an existing secret (the one the CDK app creates).
// "tenant create" writes a tenant, its first admin with a generated password and an
// ingest API key, and prints them once: nothing can show them again. Table and secret
// names come from flags or from ACCOUNTS_TABLE, API_KEYS_TABLE and SIGNING_KEY_SECRET.
// With --usage-plan (or USAGE_PLAN_ID: the stack output TenantUsagePlanId) it also gives
// the tenant its API Gateway key in the management API's usage plan, without which the
// gateway refuses the tenant's management calls on AWS; "tenant attach-plan" does that
// for a tenant created without it.
// "dlq replay" moves messages from a dead-letter queue back to a queue or the stream,
// deleting each only after it was sent (docs/runbooks/dlq-not-empty.md).
// AWS credentials, region and AWS_ENDPOINT_URL (the local emulator) come from the usual
// SDK environment.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
)

// stderr takes warnings that must not mix with the credentials (a test's buffer).
var stderr io.Writer = os.Stderr

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "adpulse:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  adpulse tenant create --name NAME --admin-email EMAIL [--json]
      [--accounts-table T] [--api-keys-table T] [--usage-plan ID]
  adpulse tenant attach-plan --tenant TENANT_ID --usage-plan ID
  adpulse signing-key create --secret NAME
  adpulse signing-key put --secret NAME_OR_ARN
  adpulse dlq replay --from QUEUE_URL --to QUEUE_URL_OR_STREAM [--max N]`

// run executes one command; getenv and out are the process's, or a test's.
func run(ctx context.Context, args []string, getenv func(string) string,
	out io.Writer) error {
	if len(args) < 2 {
		return fmt.Errorf("unknown command\n%s", usage)
	}
	switch args[0] + " " + args[1] {
	case "tenant create":
		return tenantCreate(ctx, args[2:], getenv, out)
	case "tenant attach-plan":
		return tenantAttachPlan(ctx, args[2:], getenv, out)
	case "signing-key create":
		return signingKey(ctx, args[2:], getenv, out, false)
	case "signing-key put":
		return signingKey(ctx, args[2:], getenv, out, true)
	case "dlq replay":
		return dlqReplay(ctx, args[2:], out)
	}
	return fmt.Errorf("unknown command %q\n%s", args[0]+" "+args[1], usage)
}
