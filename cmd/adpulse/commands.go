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
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/adpulse/adpulse/shared/accounts"
	"github.com/adpulse/adpulse/shared/apikey"
	"github.com/adpulse/adpulse/shared/auth"
)

// loadConfig is the SDK configuration; tests replace it to point at the emulator.
var loadConfig = func(ctx context.Context) (aws.Config, error) {
	return config.LoadDefaultConfig(ctx)
}

func tenantCreate(ctx context.Context, args []string, getenv func(string) string,
	out io.Writer) error {
	fs := flag.NewFlagSet("tenant create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	name := fs.String("name", "", "tenant name")
	email := fs.String("admin-email", "", "email of the first admin")
	asJSON := fs.Bool("json", false, "print the credentials as JSON")
	accountsTable := fs.String("accounts-table", getenv("ACCOUNTS_TABLE"), "Accounts table")
	keysTable := fs.String("api-keys-table", getenv("API_KEYS_TABLE"), "ApiKeys table")
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
	creds, err := accounts.CreateTenant(ctx, accounts.Deps{
		Accounts: accounts.NewStore(db, *accountsTable),
		Keys:     apikey.NewStore(db, *keysTable),
	}, *name, *email)
	if err != nil {
		return err
	}
	return printCredentials(out, creds, *asJSON)
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
