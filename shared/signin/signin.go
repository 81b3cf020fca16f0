package signin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/adpulse/adpulse/shared/accounts"
	"github.com/adpulse/adpulse/shared/auth"
	"github.com/adpulse/adpulse/shared/password"
)

// RefreshPrefix starts every refresh token, so that secret scanners recognise a leak.
const RefreshPrefix = "adr_"

// Outcomes the handler maps to answers.
var (
	// ErrBadCredentials is the one answer for an unknown email, a wrong password and a
	// disabled user.
	ErrBadCredentials = errors.New("invalid email or password")
	// ErrInvalidRefresh means the refresh token is unknown, expired, used or revoked.
	ErrInvalidRefresh = errors.New("invalid refresh token")
	// ErrRefreshReuse wraps ErrInvalidRefresh when a used token came back and its family
	// was revoked.
	ErrRefreshReuse = fmt.Errorf("%w: reused, family revoked", ErrInvalidRefresh)
)

// Tokens is the answer to a sign-in or a refresh.
type Tokens struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

// Service signs users in and out.
type Service struct {
	Store      *accounts.Store
	Tokens     *auth.Issuer
	Hash       password.Params // for the stand-in hash of unknown emails
	Account    Policy
	Address    Policy
	RefreshTTL time.Duration // a refresh token unused this long expires (default 7 days)
	SessionTTL time.Duration // a family's hard end (default 30 days)
	Now        func() time.Time

	dummyOnce sync.Once
	dummy     string
	dummyErr  error
}

// Login checks an email and password from a source address. It returns the tokens and
// the user, ErrBadCredentials, a *ThrottledError, or an internal error.
func (s *Service) Login(ctx context.Context, email, pw, sourceIP string) (Tokens,
	accounts.User, error) {
	now := s.now()
	subjects := []subject{
		{accounts.AccountSubject(email), s.Account},
		{accounts.AddressSubject(orUnknown(sourceIP)), s.Address},
	}
	if err := s.checkThrottle(ctx, subjects, now); err != nil {
		return Tokens{}, accounts.User{}, err
	}

	u, ok, err := s.checkPassword(ctx, email, pw)
	if err != nil {
		return Tokens{}, accounts.User{}, err
	}
	if !ok {
		if err := s.recordFailure(ctx, subjects, now); err != nil {
			return Tokens{}, accounts.User{}, err
		}
		return Tokens{}, accounts.User{}, ErrBadCredentials
	}
	if u.Disabled {
		return Tokens{}, accounts.User{}, ErrBadCredentials
	}

	if err := s.Store.ClearFailures(ctx, subjects[0].name); err != nil {
		return Tokens{}, accounts.User{}, err
	}
	toks, err := s.startSession(ctx, u, now)
	return toks, u, err
}

// checkPassword finds the user and checks the password. An unknown email is checked
// against a stand-in hash, so that it costs the same time.
func (s *Service) checkPassword(ctx context.Context, email, pw string) (accounts.User,
	bool, error) {
	u, err := s.Store.UserByEmail(ctx, email)
	if errors.Is(err, accounts.ErrNotFound) {
		dummy, err := s.dummyHash()
		if err != nil {
			return accounts.User{}, false, err
		}
		_ = password.Verify(dummy, pw)
		return accounts.User{}, false, nil
	}
	if err != nil {
		return accounts.User{}, false, fmt.Errorf("sign in: %w", err)
	}
	switch err := password.Verify(u.PasswordHash, pw); {
	case errors.Is(err, password.ErrMismatch):
		return accounts.User{}, false, nil
	case err != nil:
		return accounts.User{}, false, fmt.Errorf("sign in user %s: %w", u.ID, err)
	}
	return u, true, nil
}

func (s *Service) dummyHash() (string, error) {
	s.dummyOnce.Do(func() {
		s.dummy, s.dummyErr = s.params().Hash("stand-in password for unknown emails")
	})
	return s.dummy, s.dummyErr
}

// startSession starts a refresh family and issues the first pair of tokens.
func (s *Service) startSession(ctx context.Context, u accounts.User,
	now time.Time) (Tokens, error) {
	raw, hash, err := newRefreshToken()
	if err != nil {
		return Tokens{}, err
	}
	f := accounts.Family{ID: accounts.NewID("f"), TenantID: u.TenantID, UserID: u.ID,
		CreatedAt: now.UTC().Format(time.RFC3339),
		ExpiresAt: now.Add(orDefault(s.SessionTTL, 30*24*time.Hour)).Unix()}
	r := accounts.Refresh{Hash: hash, FamilyID: f.ID, TenantID: u.TenantID, UserID: u.ID,
		ExpiresAt: s.refreshExpiry(now, f)}
	if err := s.Store.StartFamily(ctx, f, r); err != nil {
		return Tokens{}, fmt.Errorf("sign in: %w", err)
	}
	return s.issue(ctx, u, raw)
}

func (s *Service) issue(ctx context.Context, u accounts.User, refresh string) (Tokens,
	error) {
	access, ttl, err := s.Tokens.Issue(ctx, auth.Subject{UserID: u.ID, TenantID: u.TenantID,
		Role: u.Role})
	if err != nil {
		return Tokens{}, err
	}
	return Tokens{AccessToken: access, TokenType: "Bearer", ExpiresIn: int(ttl.Seconds()),
		RefreshToken: refresh}, nil
}

func (s *Service) refreshExpiry(now time.Time, f accounts.Family) int64 {
	return min(now.Add(orDefault(s.RefreshTTL, 7*24*time.Hour)).Unix(), f.ExpiresAt)
}

// newRefreshToken returns a new token and its hash.
func newRefreshToken() (string, string, error) {
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", "", fmt.Errorf("new refresh token: %w", err)
	}
	tok := RefreshPrefix + base64.RawURLEncoding.EncodeToString(buf)
	return tok, hashToken(tok), nil
}

func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

func wellFormed(tok string) bool {
	return strings.HasPrefix(tok, RefreshPrefix) && len(tok) == len(RefreshPrefix)+43
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) params() password.Params {
	if s.Hash == (password.Params{}) {
		return password.Default
	}
	return s.Hash
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func orUnknown(ip string) string {
	if ip == "" {
		return "unknown"
	}
	return ip
}
