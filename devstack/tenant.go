package devstack

import (
	"context"
	"errors"
	"fmt"

	"github.com/adpulse/adpulse/shared/accounts"
	"github.com/adpulse/adpulse/shared/apikey"
	"github.com/adpulse/adpulse/shared/auth"
)

// CreateTenant creates an ingest API key for tenantID in the stack's ApiKeys table and
// returns the key (shown once; the table keeps only its hash). The tenant itself is not
// created: the pipeline needs only the key. CreateAccount makes a tenant one can sign
// in to.
func (s *Stack) CreateTenant(ctx context.Context, tenantID, label string) (string, error) {
	table := s.Physical("ApiKeys")
	if table == "" {
		return "", errors.New("create tenant: the template has no ApiKeys table")
	}
	key, err := apikey.NewStore(s.dynamo, table).Create(ctx, tenantID, label)
	if err != nil {
		return "", fmt.Errorf("create tenant %s: %w", tenantID, err)
	}
	return key, nil
}

// CreateAccount creates a tenant with accounts.CreateTenant, as `adpulse tenant create`
// does: the tenant, its first admin with a generated password, and an ingest API key.
// The credentials are shown once.
func (s *Stack) CreateAccount(ctx context.Context, name, adminEmail string) (
	accounts.Credentials, error) {
	accountsTable, keysTable := s.Physical("Accounts"), s.Physical("ApiKeys")
	if accountsTable == "" || keysTable == "" {
		return accounts.Credentials{}, errors.New(
			"create account: the template has no Accounts or ApiKeys table")
	}
	return accounts.CreateTenant(ctx, accounts.Deps{
		Accounts: accounts.NewStore(s.dynamo, accountsTable),
		Keys:     apikey.NewStore(s.dynamo, keysTable),
	}, name, adminEmail)
}

// putSigningKey puts a fresh P-256 key into the template's SigningKey secret, which the
// template creates with a placeholder: what an operator does once after the first
// deploy (docs/auth.md). Without the secret there is nothing to do.
func (s *Stack) putSigningKey(ctx context.Context) error {
	id, err := s.tpl.FindByPrefix("SigningKey")
	if err != nil || s.tpl.Resources[id].Type != "AWS::SecretsManager::Secret" {
		return nil
	}
	if err := auth.PutSigningKey(ctx, s.secrets, s.vals.Name(id)); err != nil {
		return fmt.Errorf("signing key: %w", err)
	}
	return nil
}
