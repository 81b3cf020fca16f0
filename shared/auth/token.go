package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/adpulse/adpulse/shared/principal"
)

// MaxAccessTTL is the longest an access token may live.
const MaxAccessTTL = 15 * time.Minute

// ErrInvalidToken means a token was refused. Its wrapped cause is for logs only.
var ErrInvalidToken = errors.New("invalid access token")

// Claims are the claims of an access token.
type Claims struct {
	TenantID string `json:"tenant_id"`
	Role     string `json:"role"`
	jwt.RegisteredClaims
}

// Subject is who a token is issued to.
type Subject struct {
	UserID   string
	TenantID string
	Role     principal.Role
}

// Issuer signs access tokens.
type Issuer struct {
	Keys     KeySource
	Issuer   string
	Audience string
	TTL      time.Duration // capped at MaxAccessTTL
	Now      func() time.Time
}

// Issue returns a signed access token for the subject and its lifetime.
func (i *Issuer) Issue(ctx context.Context, sub Subject) (string, time.Duration, error) {
	ks, err := i.Keys.Keys(ctx)
	if err != nil {
		return "", 0, fmt.Errorf("issue access token: %w", err)
	}
	ttl := i.TTL
	if ttl <= 0 || ttl > MaxAccessTTL {
		ttl = MaxAccessTTL
	}
	jti, err := randomID()
	if err != nil {
		return "", 0, fmt.Errorf("issue access token: %w", err)
	}

	now := i.now().Truncate(time.Second)
	claims := Claims{
		TenantID: sub.TenantID, Role: string(sub.Role),
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: i.Issuer, Audience: jwt.ClaimStrings{i.Audience}, Subject: sub.UserID,
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)), IssuedAt: jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now), ID: jti,
		},
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	tok.Header["kid"] = ks.signerKID
	signed, err := tok.SignedString(ks.signer)
	if err != nil {
		return "", 0, fmt.Errorf("sign access token: %w", err)
	}
	return signed, ttl, nil
}

func (i *Issuer) now() time.Time {
	if i.Now != nil {
		return i.Now()
	}
	return time.Now()
}

// Verifier checks access tokens.
type Verifier struct {
	Keys     KeySource
	Issuer   string
	Audience string
	Now      func() time.Time
}

// Verify checks a token's signature, algorithm, kid, lifetime, issuer and audience and
// returns its claims. Every refusal wraps ErrInvalidToken; other errors mean the keys
// could not be loaded.
func (v *Verifier) Verify(ctx context.Context, token string) (Claims, error) {
	ks, err := v.Keys.Keys(ctx)
	if err != nil {
		return Claims{}, fmt.Errorf("verify access token: %w", err)
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodES256.Alg()}),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(),
		jwt.WithIssuer(v.Issuer), jwt.WithAudience(v.Audience),
		jwt.WithTimeFunc(now), jwt.WithStrictDecoding(),
	)

	var claims Claims
	_, err = parser.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		pub, ok := ks.public[kid]
		if !ok {
			return nil, fmt.Errorf("unknown kid %q", kid)
		}
		return pub, nil
	})
	if err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if claims.Subject == "" || claims.TenantID == "" || !principal.Role(claims.Role).Valid() {
		return Claims{}, fmt.Errorf("%w: missing sub, tenant_id or role", ErrInvalidToken)
	}
	if exp := claims.ExpiresAt.Time; exp.Sub(now()) > MaxAccessTTL+time.Minute {
		return Claims{}, fmt.Errorf("%w: lifetime longer than allowed", ErrInvalidToken)
	}
	return claims, nil
}

// randomID returns 128 random bits, base64url-encoded.
func randomID() (string, error) {
	buf := make([]byte, 16)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("read random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(buf), nil
}
