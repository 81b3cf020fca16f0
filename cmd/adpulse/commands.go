package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/adpulse/adpulse/shared/accounts"
	"github.com/adpulse/adpulse/shared/apikey"
	"github.com/adpulse/adpulse/shared/auth"
	"github.com/adpulse/adpulse/shared/usageplan"
)

// loadConfig is the SDK configuration; tests replace it to point at the emulator.
var loadConfig = func(ctx context.Context) (aws.Config, error) {
	return config.LoadDefaultConfig(ctx)
}

// newGateway returns the API Gateway client; tests replace it with a fake's.
var newGateway = func(cfg aws.Config) usageplan.API { return apigateway.NewFromConfig(cfg) }

// notAttachedHelp is printed when a tenant is left out of the usage plan.
const notAttachedHelp = `On AWS the gateway refuses this tenant's management calls (403) until it
is attached to the usage plan (stack output TenantUsagePlanId):
  adpulse tenant attach-plan --tenant %s --usage-plan PLAN_ID
`

func tenantCreate(ctx context.Context, args []string, getenv func(string) string,
	out io.Writer) error {
	fs := flag.NewFlagSet("tenant create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	name := fs.String("name", "", "tenant name")
	email := fs.String("admin-email", "", "email of the first admin")
	asJSON := fs.Bool("json", false, "print the credentials as JSON")
	accountsTable := fs.String("accounts-table", getenv("ACCOUNTS_TABLE"), "Accounts table")
	keysTable := fs.String("api-keys-table", getenv("API_KEYS_TABLE"), "ApiKeys table")
	planID := fs.String("usage-plan", getenv("USAGE_PLAN_ID"), "usage plan id")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("tenant create: %w\n%s", err, usage)
	}
	if *name == "" || *email == "" || *accountsTable == "" || *keysTable == "" {
		return errors.New("tenant create: --name, --admin-email and both tables " +
			"(flags or ACCOUNTS_TABLE, API_KEYS_TABLE) are required")
	}

	cfg, err := loadConfig(ctx)
	if err != nil {
		return fmt.Errorf("load aws config: %w", err)
	}
	db := dynamodb.NewFromConfig(cfg)
	deps := accounts.Deps{
		Accounts: accounts.NewStore(db, *accountsTable),
		Keys:     apikey.NewStore(db, *keysTable),
	}
	if *planID != "" {
		deps.Plan = usageplan.New(newGateway(cfg), *planID)
	}
	creds, err := accounts.CreateTenant(ctx, deps, *name, *email)
	if err != nil && !errors.Is(err, accounts.ErrNotAttached) {
		return err
	}

	// Shown once: print the credentials even when only the attachment failed.
	if perr := printCredentials(out, creds, *asJSON); perr != nil {
		return perr
	}
	if err != nil || *planID == "" {
		if _, perr := fmt.Fprintf(stderr, notAttachedHelp, creds.TenantID); perr != nil {
			return perr
		}
	}
	return err
}

// tenantAttachPlan attaches an existing tenant to the usage plan: for a tenant created
// without --usage-plan, or whose attachment failed. Running it twice does no harm.
func tenantAttachPlan(ctx context.Context, args []string, getenv func(string) string,
	out io.Writer) error {
	fs := flag.NewFlagSet("tenant attach-plan", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	tenant := fs.String("tenant", "", "tenant id")
	planID := fs.String("usage-plan", getenv("USAGE_PLAN_ID"), "usage plan id")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("tenant attach-plan: %w\n%s", err, usage)
	}
	if *tenant == "" || *planID == "" {
		return errors.New("tenant attach-plan: --tenant and --usage-plan (or " +
			"USAGE_PLAN_ID, the stack output TenantUsagePlanId) are required")
	}

	cfg, err := loadConfig(ctx)
	if err != nil {
		return fmt.Errorf("load aws config: %w", err)
	}
	if err := usageplan.New(newGateway(cfg), *planID).Attach(ctx, *tenant); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "tenant %s is metered by usage plan %s\n", *tenant, *planID)
	return err
}

func printCredentials(out io.Writer, c accounts.Credentials, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(c)
	}
	_, err := fmt.Fprintf(out, `Tenant %q created. These secrets are shown once; store them now.

  tenant id       %s
  admin user id   %s
  admin email     %s
  admin password  %s
  ingest key id   %s
  ingest API key  %s

Sign in:
  curl -s -X POST http://127.0.0.1:3000/v1/auth/login \
    -H 'Content-Type: application/json' \
    -d '{"email":"%s","password":"%s"}'
`, c.TenantName, c.TenantID, c.AdminUserID, c.AdminEmail, c.AdminPassword, c.APIKeyID,
		c.APIKey, c.AdminEmail, c.AdminPassword)
	return err
}

// signingKey creates a signing-key secret, or with put writes a fresh key into one.
func signingKey(ctx context.Context, args []string, getenv func(string) string,
	out io.Writer, put bool) error {
	fs := flag.NewFlagSet("signing-key", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	secret := fs.String("secret", getenv("SIGNING_KEY_SECRET"), "secret name or ARN")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("signing-key: %w\n%s", err, usage)
	}
	if *secret == "" {
		return errors.New("signing-key: --secret (or SIGNING_KEY_SECRET) is required")
	}
	cfg, err := loadConfig(ctx)
	if err != nil {
		return fmt.Errorf("load aws config: %w", err)
	}
	sm := secretsmanager.NewFromConfig(cfg)
	if put {
		if err := auth.PutSigningKey(ctx, sm, *secret); err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "new signing key written to %s\n", *secret)
		return err
	}
	arn, err := auth.CreateSigningKeySecret(ctx, sm, *secret)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "signing key secret created: %s\n", arn)
	return err
}
