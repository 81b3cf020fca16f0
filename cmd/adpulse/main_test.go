package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/adpulse/adpulse/shared/accounts"
	"github.com/adpulse/adpulse/shared/accounts/accountstest"
	"github.com/adpulse/adpulse/shared/auth"
	"github.com/adpulse/adpulse/shared/password"
)

func TestTenantCreateAndSigningKey(t *testing.T) {
	env := accountstest.Start(t)
	loadConfig = func(context.Context) (aws.Config, error) { return env.Config, nil }
	getenv := func(k string) string {
		return map[string]string{"ACCOUNTS_TABLE": accountstest.AccountsTable,
			"API_KEYS_TABLE": accountstest.APIKeysTable}[k]
	}
	ctx := context.Background()

	var out bytes.Buffer
	err := run(ctx, []string{"tenant", "create", "--name", "Demo", "--admin-email",
		"demo@example.com", "--json"}, getenv, &out)
	if err != nil {
		t.Fatalf("tenant create: %v", err)
	}
	var creds accounts.Credentials
	if err := json.Unmarshal(out.Bytes(), &creds); err != nil {
		t.Fatalf("decode %q: %v", out.String(), err)
	}
	u, err := accounts.NewStore(env.Dynamo, accountstest.AccountsTable).
		UserByEmail(ctx, "demo@example.com")
	if err != nil || password.Verify(u.PasswordHash, creds.AdminPassword) != nil {
		t.Errorf("the printed password does not sign in: %+v %v", u, err)
	}

	out.Reset()
	if err := run(ctx, []string{"signing-key", "create", "--secret", "other"}, getenv,
		&out); err != nil || !strings.Contains(out.String(), "arn:") {
		t.Fatalf("signing-key create: %q %v", out.String(), err)
	}
	if _, err := auth.NewSecretSource(env.Secrets, "other", 0).Keys(ctx); err != nil {
		t.Errorf("the new secret does not load: %v", err)
	}

	out.Reset()
	if err := run(ctx, []string{"signing-key", "put", "--secret", "other"}, getenv,
		&out); err != nil {
		t.Errorf("signing-key put: %v", err)
	}

	for _, args := range [][]string{
		{}, {"tenant"}, {"tenant", "create", "--name", "x"}, {"signing-key", "create"},
		{"signing-key", "delete", "--secret", "x"},
		{"tenant", "create", "--name", "X", "--admin-email", "demo@example.com"},
	} {
		if err := run(ctx, args, getenv, &out); err == nil {
			t.Errorf("%q: got nil error", args)
		}
	}
}
