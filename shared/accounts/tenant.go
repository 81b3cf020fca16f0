package accounts

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/adpulse/adpulse/shared/apikey"
	"github.com/adpulse/adpulse/shared/httpapi"
	"github.com/adpulse/adpulse/shared/password"
	"github.com/adpulse/adpulse/shared/principal"
)

// Deps are what creating a tenant writes to.
type Deps struct {
	Accounts *Store
	Keys     *apikey.Store
	Hash     password.Params // zero value: password.Default

	// Plan meters the tenant's management API calls (a usageplan.Plan). Nil leaves the
	// tenant out of every usage plan, which only a local stack tolerates: on AWS the
	// gateway refuses a tenant's management calls with 403 until it is attached.
	Plan UsagePlan
}

// UsagePlan attaches a tenant to the API's usage plan; attaching twice is no error.
type UsagePlan interface {
	Attach(ctx context.Context, tenantID string) error
}

// ErrNotAttached means the tenant was created but not attached to the usage plan. The
// credentials returned with it are valid; attaching again (`adpulse tenant attach-plan`)
// completes the tenant.
var ErrNotAttached = errors.New("tenant not attached to the usage plan")

// Credentials are the secrets of a new tenant, shown once and never stored in clear.
type Credentials struct {
	TenantID      string `json:"tenant_id"`
	TenantName    string `json:"tenant_name"`
	AdminUserID   string `json:"admin_user_id"`
	AdminEmail    string `json:"admin_email"`
	AdminPassword string `json:"admin_password"`
	APIKeyID      string `json:"api_key_id"`
	APIKey        string `json:"api_key"`
}

// ErrInvalid means an input was refused; its text says which and why.
var ErrInvalid = errors.New("invalid input")

// ValidateEmail checks that s is a bare address (no display name) of sane length, with
// no control or format characters (net/mail lets some through, a zero-width space or a
// right-to-left override among them).
func ValidateEmail(s string) error {
	s = strings.TrimSpace(s)
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || len(s) > 254 || addr.Name != "" ||
		httpapi.Unprintable(s) {
		return fmt.Errorf("%w: email must be a plain address like ana@example.com", ErrInvalid)
	}
	return nil
}

// CreateTenant creates a tenant, its first admin with a generated password and an ingest
// API key, attaches it to d.Plan, and returns their credentials. The tenant and admin
// are written in one transaction; if the key cannot be created afterwards the error says
// so and an admin creates one through the API. If only the attachment fails, the
// credentials come back with an error wrapping ErrNotAttached, so they are not lost.
func CreateTenant(ctx context.Context, d Deps, name, email string) (Credentials, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return Credentials{}, fmt.Errorf("%w: name must be 1 to 200 characters", ErrInvalid)
	}
	if httpapi.Unprintable(name) {
		return Credentials{}, fmt.Errorf("%w: name must not hold control or format characters",
			ErrInvalid)
	}
	if err := ValidateEmail(email); err != nil {
		return Credentials{}, err
	}
	params := d.Hash
	if params == (password.Params{}) {
		params = password.Default
	}

	pw, err := password.Generate()
	if err != nil {
		return Credentials{}, fmt.Errorf("create tenant: %w", err)
	}
	hash, err := params.Hash(pw)
	if err != nil {
		return Credentials{}, fmt.Errorf("create tenant: %w", err)
	}
	now := time.Now().UTC().Format(time.RFC3339)
	t := Tenant{ID: NewID("t"), Name: name, CreatedAt: now}
	admin := User{ID: NewID("u"), TenantID: t.ID, Email: NormalizeEmail(email),
		Role: principal.Admin, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	if err := d.Accounts.CreateTenant(ctx, t, admin); err != nil {
		return Credentials{}, fmt.Errorf("create tenant %q: %w", name, err)
	}

	rec, key, err := d.Keys.CreateKey(ctx, t.ID, "ingest")
	if err != nil {
		return Credentials{}, fmt.Errorf("tenant %s created without an ingest key: %w", t.ID,
			err)
	}
	creds := Credentials{TenantID: t.ID, TenantName: name, AdminUserID: admin.ID,
		AdminEmail: admin.Email, AdminPassword: pw, APIKeyID: rec.KeyID, APIKey: key}

	if d.Plan != nil {
		if err := d.Plan.Attach(ctx, t.ID); err != nil {
			return creds, fmt.Errorf("tenant %s: %w: %w", t.ID, ErrNotAttached, err)
		}
	}
	return creds, nil
}
