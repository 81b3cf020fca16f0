package signin_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/adpulse/adpulse/shared/accounts"
	"github.com/adpulse/adpulse/shared/accounts/accountstest"
	"github.com/adpulse/adpulse/shared/apikey"
	"github.com/adpulse/adpulse/shared/auth"
	"github.com/adpulse/adpulse/shared/password"
	"github.com/adpulse/adpulse/shared/principal"
	"github.com/adpulse/adpulse/shared/signin"
)

// clock is a settable time for the service.
type clock struct{ t time.Time }

func (c *clock) now() time.Time                { return c.t }
func (c *clock) add(d time.Duration)           { c.t = c.t.Add(d) }
func (c *clock) wait(e *signin.ThrottledError) { c.add(e.RetryAfter) }

type fixture struct {
	svc   *signin.Service
	clock *clock
	creds accounts.Credentials
	store *accounts.Store
	keys  *auth.KeySet
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	env := accountstest.Start(t)
	store := accounts.NewStore(env.Dynamo, accountstest.AccountsTable)
	creds, err := accounts.CreateTenant(context.Background(), accounts.Deps{Accounts: store,
		Keys: apikey.NewStore(env.Dynamo, accountstest.APIKeysTable), Hash: password.Fast},
		"Acme", "ana@example.com")
	if err != nil {
		t.Fatalf("create tenant: %v", err)
	}
	pemKey, _ := auth.NewKeyPEM()
	keys, _ := auth.ParseKeySet(pemKey)
	c := &clock{t: time.Unix(time.Now().Unix(), 0)} // whole seconds
	svc := &signin.Service{
		Store:   store,
		Tokens:  &auth.Issuer{Keys: keys, Issuer: "iss", Audience: "aud", Now: c.now},
		Hash:    password.Fast,
		Account: signin.AccountPolicy, Address: signin.AddressPolicy, Now: c.now,
	}
	return fixture{svc: svc, clock: c, creds: creds, store: store, keys: keys}
}

func TestLogin(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	disabled := accounts.User{ID: accounts.NewID("u"), TenantID: f.creds.TenantID,
		Email: "off@example.com", Role: principal.Analyst, Disabled: true}
	disabled.PasswordHash, _ = password.Fast.Hash("right password 123")
	if err := f.store.CreateUser(ctx, disabled); err != nil {
		t.Fatalf("create disabled user: %v", err)
	}

	tests := []struct {
		name, email, pw string
		want            error
	}{
		{"ok", "ana@example.com", f.creds.AdminPassword, nil},
		{"email in another case", "ANA@example.com ", f.creds.AdminPassword, nil},
		{"wrong password", "ana@example.com", "nope", signin.ErrBadCredentials},
		{"unknown email", "who@example.com", f.creds.AdminPassword,
			signin.ErrBadCredentials},
		{"disabled user", "off@example.com", "right password 123", signin.ErrBadCredentials},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			toks, u, err := f.svc.Login(ctx, tc.email, tc.pw, "10.0.0.1")
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if tc.want != nil {
				return
			}
			if toks.TokenType != "Bearer" || toks.ExpiresIn <= 0 || toks.ExpiresIn > 900 ||
				toks.RefreshToken == "" || u.ID != f.creds.AdminUserID {
				t.Errorf("tokens: got %+v for user %s", toks, u.ID)
			}
			v := &auth.Verifier{Keys: f.keys, Issuer: "iss", Audience: "aud",
				Now: f.clock.now}
			claims, err := v.Verify(ctx, toks.AccessToken)
			if err != nil || claims.Subject != u.ID || claims.TenantID != f.creds.TenantID ||
				claims.Role != "admin" {
				t.Errorf("access token: %+v, %v", claims, err)
			}
		})
	}
}

func TestAccountSlowsDownThenLocks(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i := 1; i <= 4; i++ {
		if _, _, err := f.svc.Login(ctx, "ana@example.com", "wrong",
			"10.0.0.1"); !errors.Is(err, signin.ErrBadCredentials) {
			t.Fatalf("failure %d: got %v", i, err)
		}
	}

	var waits []time.Duration
	for i := 5; i <= 10; i++ {
		if _, _, err := f.svc.Login(ctx, "ana@example.com", "wrong",
			"10.0.0.1"); !errors.Is(err, signin.ErrBadCredentials) {
			t.Fatalf("failure %d: got %v", i, err)
		}
		// Even the right password, from another address, must wait now.
		_, _, err := f.svc.Login(ctx, "ana@example.com", f.creds.AdminPassword, "10.9.9.9")
		var th *signin.ThrottledError
		if !errors.As(err, &th) {
			t.Fatalf("after %d failures: got %v, want a ThrottledError", i, err)
		}
		if th.Locked != (i == 10) {
			t.Errorf("after %d failures: locked %v", i, th.Locked)
		}
		waits = append(waits, th.RetryAfter)
		f.clock.wait(th)
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second,
		8 * time.Second, 16 * time.Second, 15 * time.Minute}
	if len(waits) != len(want) {
		t.Fatalf("waits: got %v, want %v", waits, want)
	}
	for i := range want {
		if waits[i] != want[i] {
			t.Errorf("wait %d: got %v, want %v", i, waits[i], want[i])
		}
	}

	// The lock is over: the right password works and clears the counter.
	if _, _, err := f.svc.Login(ctx, "ana@example.com", f.creds.AdminPassword,
		"10.0.0.1"); err != nil {
		t.Fatalf("after the lock: %v", err)
	}
	if _, _, err := f.svc.Login(ctx, "ana@example.com", "wrong",
		"10.0.0.1"); !errors.Is(err, signin.ErrBadCredentials) {
		t.Errorf("first failure after a success: got %v, want ErrBadCredentials", err)
	}
}

func TestUnknownEmailsAreThrottledAlike(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i := 1; i <= 5; i++ {
		_, _, _ = f.svc.Login(ctx, "nobody@example.com", "x", "10.0.0.1")
	}
	_, _, err := f.svc.Login(ctx, "nobody@example.com", "x", "10.0.0.1")
	var th *signin.ThrottledError
	if !errors.As(err, &th) || th.RetryAfter != time.Second {
		t.Errorf("unknown email after 5 failures: got %v, want a 1 s wait like a known one",
			err)
	}
}

func TestAddressSlowsDownThenLocks(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	fail := func(i int) {
		email := "guess" + time.Duration(i).String() + "@example.com"
		_, _, err := f.svc.Login(ctx, email, "x", "203.0.113.7")
		if !errors.Is(err, signin.ErrBadCredentials) {
			t.Fatalf("failure %d: got %v", i, err)
		}
	}
	for i := 1; i <= 19; i++ {
		fail(i)
	}
	if _, _, err := f.svc.Login(ctx, "ana@example.com", f.creds.AdminPassword,
		"203.0.113.7"); err != nil {
		t.Fatalf("after 19 failures from the address: %v", err)
	}

	var th *signin.ThrottledError
	for i := 20; i <= 50; i++ {
		fail(i)
		_, _, err := f.svc.Login(ctx, "ana@example.com", f.creds.AdminPassword,
			"203.0.113.7")
		if !errors.As(err, &th) {
			t.Fatalf("after %d failures from the address: got %v, want a wait", i, err)
		}
		// Another address is not affected.
		if _, _, err := f.svc.Login(ctx, "ana@example.com", f.creds.AdminPassword,
			"198.51.100.1"); err != nil {
			t.Fatalf("another address after %d failures: %v", i, err)
		}
		if i < 50 {
			f.clock.wait(th)
		}
	}
	if !th.Locked || th.RetryAfter != 15*time.Minute {
		t.Errorf("after 50 failures: got %+v, want a 15 min lock", th)
	}
}

func TestRefreshRotatesAndReuseRevokes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	first, _, err := f.svc.Login(ctx, "ana@example.com", f.creds.AdminPassword, "10.0.0.1")
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	second, err := f.svc.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if second.RefreshToken == first.RefreshToken || second.AccessToken == "" {
		t.Fatalf("refresh did not rotate: %+v", second)
	}
	third, err := f.svc.Refresh(ctx, second.RefreshToken)
	if err != nil {
		t.Fatalf("refresh of the rotated token: %v", err)
	}

	// The first token comes back: the whole family dies, the newest token included.
	if _, err := f.svc.Refresh(ctx, first.RefreshToken); !errors.Is(err,
		signin.ErrRefreshReuse) {
		t.Fatalf("reuse: got %v, want ErrRefreshReuse", err)
	}
	if _, err := f.svc.Refresh(ctx, third.RefreshToken); !errors.Is(err,
		signin.ErrInvalidRefresh) {
		t.Errorf("newest token after reuse: got %v, want ErrInvalidRefresh", err)
	}

	// Another session of the same user is untouched.
	other, _, _ := f.svc.Login(ctx, "ana@example.com", f.creds.AdminPassword, "10.0.0.1")
	if _, err := f.svc.Refresh(ctx, other.RefreshToken); err != nil {
		t.Errorf("another family after reuse in the first: %v", err)
	}
}

func TestRefreshRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	login := func() signin.Tokens {
		toks, _, err := f.svc.Login(ctx, "ana@example.com", f.creds.AdminPassword, "10.0.0.1")
		if err != nil {
			t.Fatalf("login: %v", err)
		}
		return toks
	}

	loggedOut := login()
	if err := f.svc.Logout(ctx, loggedOut.RefreshToken); err != nil {
		t.Fatalf("logout: %v", err)
	}
	if err := f.svc.Logout(ctx, loggedOut.RefreshToken); err != nil {
		t.Errorf("second logout: %v", err)
	}
	expired := login()
	disabledUser := login()

	tests := []struct {
		name  string
		token string
		setup func()
	}{
		{"after logout", loggedOut.RefreshToken, nil},
		{"never issued", signin.RefreshPrefix + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
			nil},
		{"malformed", "hello", nil},
		{"empty", "", nil},
		{"user disabled", disabledUser.RefreshToken, func() {
			off := true
			_, err := f.store.UpdateUser(ctx, f.creds.TenantID, f.creds.AdminUserID,
				accounts.UserChange{Disabled: &off})
			if err != nil {
				t.Fatalf("disable: %v", err)
			}
		}},
		{"expired", expired.RefreshToken, func() { f.clock.add(8 * 24 * time.Hour) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup()
			}
			if _, err := f.svc.Refresh(ctx, tc.token); !errors.Is(err,
				signin.ErrInvalidRefresh) {
				t.Errorf("got %v, want ErrInvalidRefresh", err)
			}
		})
	}
}
