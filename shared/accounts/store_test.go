package accounts_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/adpulse/adpulse/shared/accounts"
	"github.com/adpulse/adpulse/shared/accounts/accountstest"
	"github.com/adpulse/adpulse/shared/apikey"
	"github.com/adpulse/adpulse/shared/password"
	"github.com/adpulse/adpulse/shared/principal"
)

func newDeps(t *testing.T) accounts.Deps {
	t.Helper()
	env := accountstest.Start(t)
	return accounts.Deps{
		Accounts: accounts.NewStore(env.Dynamo, accountstest.AccountsTable),
		Keys:     apikey.NewStore(env.Dynamo, accountstest.APIKeysTable),
		Hash:     password.Fast,
	}
}

func TestCreateTenant(t *testing.T) {
	d := newDeps(t)
	ctx := context.Background()
	creds, err := accounts.CreateTenant(ctx, d, "Acme", " Ana@Example.com ")
	if err != nil {
		t.Fatalf("create tenant: %v", err)
	}
	if creds.AdminEmail != "ana@example.com" || len(creds.AdminPassword) < 20 ||
		creds.APIKey == "" || creds.TenantID == "" {
		t.Errorf("credentials: got %+v", creds)
	}

	u, err := d.Accounts.UserByEmail(ctx, "ANA@example.com")
	if err != nil {
		t.Fatalf("user by email: %v", err)
	}
	if u.Role != principal.Admin || u.TenantID != creds.TenantID ||
		password.Verify(u.PasswordHash, creds.AdminPassword) != nil {
		t.Errorf("admin user: got %+v", u)
	}
	if k, err := d.Keys.Lookup(ctx, creds.APIKey); err != nil || k.TenantID != creds.TenantID {
		t.Errorf("api key lookup: %+v %v", k, err)
	}

	tests := []struct {
		name, tenant, email string
		want                error
	}{
		{"email taken in another tenant", "Other", "ana@example.com", accounts.ErrEmailTaken},
		{"display name", "Other", "Ana <b@example.com>", accounts.ErrInvalid},
		{"no name", " ", "c@example.com", accounts.ErrInvalid},
		{"not an email", "Other", "nope", accounts.ErrInvalid},
		{"control character in the name", "Oth\x00er", "d@example.com", accounts.ErrInvalid},
		{"newline in the name", "Other\nAdmin: yes", "d@example.com", accounts.ErrInvalid},
		{"bidi override in the name", "\u202eOther", "d@example.com", accounts.ErrInvalid},
		{"invalid UTF-8 in the name", "Oth\xffer", "d@example.com", accounts.ErrInvalid},
		{"zero-width space in the email", "Other", "d\u200b@example.com", accounts.ErrInvalid},
		{"C1 control in the email", "Other", "d\u0085@example.com", accounts.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := accounts.CreateTenant(ctx, d, tc.tenant, tc.email)
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// recordingPlan records attachments and fails when told to.
type recordingPlan struct {
	attached []string
	err      error
}

func (p *recordingPlan) Attach(_ context.Context, tenantID string) error {
	if p.err != nil {
		return p.err
	}
	p.attached = append(p.attached, tenantID)
	return nil
}

func TestCreateTenantAttachesTheUsagePlan(t *testing.T) {
	tests := []struct {
		name       string
		attachErr  error
		wantErr    error
		wantAttach bool
	}{
		{name: "attached", wantAttach: true},
		{name: "attach fails: credentials kept", attachErr: errors.New("gateway down"),
			wantErr: accounts.ErrNotAttached},
	}
	d := newDeps(t)
	ctx := context.Background()
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan := &recordingPlan{err: tc.attachErr}
			d.Plan = plan
			email := fmt.Sprintf("plan%d@example.com", i)

			creds, err := accounts.CreateTenant(ctx, d, "Planned", email)

			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if tc.wantAttach && (len(plan.attached) != 1 || plan.attached[0] != creds.TenantID) {
				t.Errorf("attached %v, want [%s]", plan.attached, creds.TenantID)
			}
			// Even when attaching failed, the shown-once password signs in.
			u, err := d.Accounts.UserByEmail(ctx, email)
			if err != nil || password.Verify(u.PasswordHash, creds.AdminPassword) != nil ||
				u.TenantID != creds.TenantID {
				t.Errorf("admin of %+v: %+v, %v", creds, u, err)
			}
		})
	}
}

func TestUsersStayInTheirTenant(t *testing.T) {
	d := newDeps(t)
	ctx := context.Background()
	a, _ := accounts.CreateTenant(ctx, d, "A", "a@example.com")
	b, _ := accounts.CreateTenant(ctx, d, "B", "b@example.com")

	extra := accounts.User{ID: accounts.NewID("u"), TenantID: a.TenantID,
		Email: "a2@example.com", Role: principal.Analyst}
	if err := d.Accounts.CreateUser(ctx, extra); err != nil {
		t.Fatalf("create user: %v", err)
	}
	ghost := extra
	ghost.ID, ghost.TenantID, ghost.Email = accounts.NewID("u"), "t_missing", "g@example.com"
	if err := d.Accounts.CreateUser(ctx, ghost); !errors.Is(err, accounts.ErrTenantNotFound) {
		t.Errorf("user in a missing tenant: got %v, want ErrTenantNotFound", err)
	}

	users, err := d.Accounts.ListUsers(ctx, a.TenantID)
	if err != nil || len(users) != 2 {
		t.Fatalf("list A: got %d users, %v; want 2", len(users), err)
	}
	if _, err := d.Accounts.GetUser(ctx, b.TenantID, extra.ID); !errors.Is(err,
		accounts.ErrNotFound) {
		t.Errorf("B reads A's user: got %v, want ErrNotFound", err)
	}
	disabled := true
	if _, err := d.Accounts.UpdateUser(ctx, b.TenantID, extra.ID,
		accounts.UserChange{Disabled: &disabled}); !errors.Is(err, accounts.ErrNotFound) {
		t.Errorf("B changes A's user: got %v, want ErrNotFound", err)
	}
	if _, err := d.Accounts.GetUser(ctx, b.TenantID, extra.ID); !errors.Is(err,
		accounts.ErrNotFound) {
		t.Errorf("the refused update created an item in B: %v", err)
	}

	role := principal.CampaignManager
	got, err := d.Accounts.UpdateUser(ctx, a.TenantID, extra.ID,
		accounts.UserChange{Role: &role, Disabled: &disabled})
	if err != nil || got.Role != role || !got.Disabled {
		t.Errorf("update: got %+v, %v", got, err)
	}
}

func TestRotateAndRevoke(t *testing.T) {
	d := newDeps(t)
	ctx := context.Background()
	exp := time.Now().Add(time.Hour).Unix()
	f := accounts.Family{ID: "f1", TenantID: "t_a", UserID: "u_1", ExpiresAt: exp}
	r1 := accounts.Refresh{Hash: "h1", FamilyID: "f1", TenantID: "t_a", UserID: "u_1",
		ExpiresAt: exp}
	if err := d.Accounts.StartFamily(ctx, f, r1); err != nil {
		t.Fatalf("start family: %v", err)
	}
	r2 := r1
	r2.Hash = "h2"
	if err := d.Accounts.Rotate(ctx, r1, r2); err != nil {
		t.Fatalf("rotate: %v", err)
	}
	r3 := r1
	r3.Hash = "h3"
	if err := d.Accounts.Rotate(ctx, r1, r3); !errors.Is(err, accounts.ErrRefreshUsed) {
		t.Errorf("second rotation of h1: got %v, want ErrRefreshUsed", err)
	}
	if _, err := d.Accounts.GetRefresh(ctx, "h3"); !errors.Is(err, accounts.ErrNotFound) {
		t.Errorf("the refused rotation wrote h3: %v", err)
	}

	n, err := d.Accounts.RevokeUserFamilies(ctx, "t_a", "u_1")
	if err != nil || n != 1 {
		t.Fatalf("revoke user families: %d, %v; want 1", n, err)
	}
	if err := d.Accounts.Rotate(ctx, r2, r3); !errors.Is(err, accounts.ErrFamilyRevoked) {
		t.Errorf("rotation in a revoked family: got %v, want ErrFamilyRevoked", err)
	}
}

func TestFailureWindow(t *testing.T) {
	d := newDeps(t)
	ctx := context.Background()
	t0 := time.Now()
	subj := accounts.AccountSubject("x@example.com")
	for i := 1; i <= 3; i++ {
		f, err := d.Accounts.AddFailure(ctx, subj, t0.Add(time.Duration(i)*time.Second),
			15*time.Minute)
		if err != nil || f.Count != i {
			t.Fatalf("failure %d: got %+v, %v", i, f, err)
		}
	}
	f, err := d.Accounts.AddFailure(ctx, subj, t0.Add(16*time.Minute), 15*time.Minute)
	if err != nil || f.Count != 1 {
		t.Errorf("after the window: got %+v, %v; want a count of 1", f, err)
	}
	if err := d.Accounts.ClearFailures(ctx, subj); err != nil {
		t.Fatalf("clear: %v", err)
	}
	if f, _ := d.Accounts.GetFailures(ctx, subj); f.Count != 0 {
		t.Errorf("after clear: got %+v", f)
	}
}
