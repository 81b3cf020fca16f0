package mgmt_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/golang-jwt/jwt/v5"

	"github.com/adpulse/adpulse/devstack/kumo"
	"github.com/adpulse/adpulse/shared/auth"
)

// signer signs tokens with the stack's real signing key and its issuer and audience,
// so that each forged token differs from a good one in one way only.
type signer struct {
	key      *ecdsa.PrivateKey
	kid      string
	iss, aud string
}

func newSigner(t *testing.T, e *env) signer {
	t.Helper()
	sm := secretsmanager.NewFromConfig(kumo.Config(e.stack.Endpoint()))
	out, err := sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{
		SecretId: aws.String(e.stack.Physical("SigningKey"))})
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode([]byte(aws.ToString(out.SecretString)))
	if block == nil {
		t.Fatal("signing key secret holds no PEM")
	}
	var key *ecdsa.PrivateKey
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		key, _ = k.(*ecdsa.PrivateKey)
	} else if key, err = x509.ParseECPrivateKey(block.Bytes); err != nil {
		t.Fatalf("parse signing key: %v", err)
	}
	_, vals := e.stack.Template()
	fns, err := vals.Functions()
	if err != nil {
		t.Fatal(err)
	}
	s := signer{key: key, kid: auth.KeyID(&key.PublicKey)}
	for _, fn := range fns {
		if fn.Folder == "authorizer" {
			s.iss, s.aud = fn.Env["JWT_ISSUER"], fn.Env["JWT_AUDIENCE"]
		}
	}
	return s
}

// claims are the claims of a good token of A's admin.
func (s signer) claims(e *env) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{"iss": s.iss, "aud": s.aud, "sub": e.a.AdminUserID,
		"tenant_id": e.a.TenantID, "role": "admin", "iat": now.Unix(), "nbf": now.Unix(),
		"exp": now.Add(5 * time.Minute).Unix(), "jti": "e2e"}
}

// sign signs claims with ES256 and kid.
func (s signer) sign(t *testing.T, claims jwt.MapClaims, kid string) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	tok.Header["kid"] = kid
	signed, err := tok.SignedString(s.key)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

func forgedTokens(t *testing.T, e *env) {
	s := newSigner(t, e)
	with := func(k string, v any) jwt.MapClaims {
		c := s.claims(e)
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}

	// The control: a token made this way is accepted, so each refusal below is due to
	// its one difference.
	good := s.sign(t, s.claims(e), s.kid)
	want(t, "control token", e.c.do(t, req{method: "GET", path: "/v1/users", token: good}),
		http.StatusOK)

	pub, err := x509.MarshalPKIXPublicKey(&s.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, s.claims(e))
	hs.Header["kid"] = s.kid
	hsToken, err := hs.SignedString(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	other, err := auth.ParseKeySet(mustKeyPEM(t))
	if err != nil {
		t.Fatal(err)
	}

	forged := []struct{ name, token string }{
		{"alg none", unsigned(t, s.claims(e), s.kid)},
		{"HS256 signed with the public key", hsToken},
		{"no exp", s.sign(t, with("exp", nil), s.kid)},
		{"expired", s.sign(t, with("exp", time.Now().Add(-time.Minute).Unix()), s.kid)},
		{"wrong aud", s.sign(t, with("aud", "someone-else"), s.kid)},
		{"wrong iss", s.sign(t, with("iss", "https://evil.example"), s.kid)},
		{"unknown kid", s.sign(t, s.claims(e), other.SigningKID())},
		{"tampered payload", tamper(t, good, e.b.TenantID)},
		{"not a JWT", "not-a-token"},
	}
	for _, f := range forged {
		r := e.c.do(t, req{method: "GET", path: "/v1/users", token: f.token})
		if r.status != http.StatusUnauthorized || r.code() != "unauthorized" {
			t.Errorf("%s: got %d %.200s, want 401 unauthorized", f.name, r.status, r.body)
		}
	}
	r := e.c.do(t, req{method: "GET", path: "/v1/campaigns", offSpec: true})
	want(t, "no Authorization header", r, http.StatusUnauthorized)
}

// unsigned returns an alg "none" token of claims.
func unsigned(t *testing.T, claims jwt.MapClaims, kid string) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodNone, claims)
	tok.Header["kid"] = kid
	signed, err := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// tamper moves a signed token to another tenant without signing it again.
func tamper(t *testing.T, token, tenant string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims jwt.MapClaims
	if err := jsonUnmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	claims["tenant_id"] = tenant
	parts[1] = base64.RawURLEncoding.EncodeToString(mustJSON(t, claims))
	return strings.Join(parts, ".")
}

func mustKeyPEM(t *testing.T) []byte {
	t.Helper()
	p, err := auth.NewKeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	return p
}
