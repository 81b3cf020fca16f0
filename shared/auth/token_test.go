package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/adpulse/adpulse/shared/auth"
	"github.com/adpulse/adpulse/shared/principal"
)

const (
	iss = "https://adpulse.test"
	aud = "adpulse-api"
)

var now = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

func mustKeys(t *testing.T) *auth.KeySet {
	t.Helper()
	pemKey, err := auth.NewKeyPEM()
	if err != nil {
		t.Fatalf("new key: %v", err)
	}
	ks, err := auth.ParseKeySet(pemKey)
	if err != nil {
		t.Fatalf("parse key: %v", err)
	}
	return ks
}

// privateKey digs the signing key out of a fresh PEM, for forging.
func newPrivate(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	pemKey, _ := auth.NewKeyPEM()
	block, _ := pem.Decode(pemKey)
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return k.(*ecdsa.PrivateKey)
}

func validClaims() auth.Claims {
	return auth.Claims{TenantID: "t_a", Role: "analyst", RegisteredClaims: jwt.RegisteredClaims{
		Issuer: iss, Audience: jwt.ClaimStrings{aud}, Subject: "u_1",
		ExpiresAt: jwt.NewNumericDate(now.Add(10 * time.Minute)),
		IssuedAt:  jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), ID: "j1",
	}}
}

func sign(t *testing.T, c jwt.Claims, m jwt.SigningMethod, kid string, key any) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return s
}

func seg(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestIssueThenVerify(t *testing.T) {
	ks := mustKeys(t)
	clock := func() time.Time { return now }
	is := &auth.Issuer{Keys: ks, Issuer: iss, Audience: aud, TTL: time.Hour, Now: clock}
	tok, ttl, err := is.Issue(context.Background(), auth.Subject{UserID: "u_1",
		TenantID: "t_a", Role: principal.CampaignManager})
	if err != nil {
		t.Fatalf("issue: %v", err)
	}
	if ttl != auth.MaxAccessTTL {
		t.Errorf("ttl: got %v, want it capped at %v", ttl, auth.MaxAccessTTL)
	}
	v := &auth.Verifier{Keys: ks, Issuer: iss, Audience: aud, Now: clock}
	got, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if got.Subject != "u_1" || got.TenantID != "t_a" || got.Role != "campaign_manager" ||
		got.ID == "" || got.NotBefore == nil || got.IssuedAt == nil {
		t.Errorf("claims: got %+v", got)
	}
	header, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	var h map[string]any
	_ = json.Unmarshal(header, &h)
	if h["kid"] != ks.SigningKID() || h["alg"] != "ES256" {
		t.Errorf("header: got %v, want kid %s and alg ES256", h, ks.SigningKID())
	}
}

func TestForgedTokensAreRefused(t *testing.T) {
	ks := mustKeys(t)
	kid := ks.SigningKID()
	real := ks
	clock := func() time.Time { return now }
	is := &auth.Issuer{Keys: real, Issuer: iss, Audience: aud, Now: clock}
	good, _, err := is.Issue(context.Background(),
		auth.Subject{UserID: "u_1", TenantID: "t_a", Role: principal.Analyst})
	if err != nil {
		t.Fatalf("issue: %v", err)
	}
	jwks, _ := json.Marshal(ks.JWKS())
	other := newPrivate(t)

	with := func(edit func(*auth.Claims)) auth.Claims {
		c := validClaims()
		edit(&c)
		return c
	}
	parts := strings.Split(good, ".")
	tamperedClaims := with(func(c *auth.Claims) { c.Role = "admin" })

	tests := []struct {
		name  string
		token string
	}{
		{"alg none", seg(map[string]string{"alg": "none", "typ": "JWT", "kid": kid}) + "." +
			seg(validClaims()) + "."},
		{"HS256 with the public JWKS bytes", sign(t, validClaims(), jwt.SigningMethodHS256, kid,
			jwks)},
		{"no exp", sign(t, with(func(c *auth.Claims) { c.ExpiresAt = nil }),
			jwt.SigningMethodES256, kid, other)},
		{"expired", sign(t, with(func(c *auth.Claims) {
			c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Second))
		}), jwt.SigningMethodES256, kid, other)},
		{"wrong aud", sign(t, with(func(c *auth.Claims) {
			c.Audience = jwt.ClaimStrings{"someone-else"}
		}), jwt.SigningMethodES256, kid, other)},
		{"wrong iss", sign(t, with(func(c *auth.Claims) { c.Issuer = "https://evil" }),
			jwt.SigningMethodES256, kid, other)},
		{"unknown kid", sign(t, validClaims(), jwt.SigningMethodES256, "nope", other)},
		{"no kid", sign(t, validClaims(), jwt.SigningMethodES256, "", other)},
		{"tampered payload", parts[0] + "." + seg(tamperedClaims) + "." + parts[2]},
		{"other key, same kid", sign(t, validClaims(), jwt.SigningMethodES256, kid, other)},
		{"HS384 with the JWKS bytes", sign(t, validClaims(), jwt.SigningMethodHS384, kid, jwks)},
		{"garbage", "not.a.jwt"},
		{"empty", ""},
	}
	v := &auth.Verifier{Keys: real, Issuer: iss, Audience: aud, Now: clock}
	if _, err := v.Verify(context.Background(), good); err != nil {
		t.Fatalf("the untouched token is refused: %v", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), tc.token)
			if !errors.Is(err, auth.ErrInvalidToken) {
				t.Errorf("got %v, want ErrInvalidToken", err)
			}
		})
	}
}

// TestClaimChecksNeedTheRealKey signs bad claims with the real key, so that each check
// is proven on its own and not only by the signature failing.
func TestClaimChecksNeedTheRealKey(t *testing.T) {
	ks := mustKeys(t)
	key := signingKeyOf(t, ks)
	kid := ks.SigningKID()
	with := func(edit func(*auth.Claims)) auth.Claims {
		c := validClaims()
		edit(&c)
		return c
	}
	tests := []struct {
		name   string
		claims auth.Claims
	}{
		{"no exp", with(func(c *auth.Claims) { c.ExpiresAt = nil })},
		{"expired", with(func(c *auth.Claims) {
			c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Second))
		})},
		{"not yet valid", with(func(c *auth.Claims) {
			c.NotBefore = jwt.NewNumericDate(now.Add(time.Minute))
		})},
		{"wrong aud", with(func(c *auth.Claims) { c.Audience = jwt.ClaimStrings{"x"} })},
		{"no aud", with(func(c *auth.Claims) { c.Audience = nil })},
		{"wrong iss", with(func(c *auth.Claims) { c.Issuer = "https://evil" })},
		{"no tenant", with(func(c *auth.Claims) { c.TenantID = "" })},
		{"unknown role", with(func(c *auth.Claims) { c.Role = "root" })},
		{"lives a day", with(func(c *auth.Claims) {
			c.ExpiresAt = jwt.NewNumericDate(now.Add(24 * time.Hour))
		})},
	}
	v := &auth.Verifier{Keys: ks, Issuer: iss, Audience: aud,
		Now: func() time.Time { return now }}
	if _, err := v.Verify(context.Background(),
		sign(t, validClaims(), jwt.SigningMethodES256, kid, key)); err != nil {
		t.Fatalf("valid claims refused: %v", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok := sign(t, tc.claims, jwt.SigningMethodES256, kid, key)
			if _, err := v.Verify(context.Background(), tok); !errors.Is(err,
				auth.ErrInvalidToken) {
				t.Errorf("got %v, want ErrInvalidToken", err)
			}
		})
	}
}

func signingKeyOf(t *testing.T, ks *auth.KeySet) *ecdsa.PrivateKey {
	return auth.SigningKeyOf(t, ks)
}
