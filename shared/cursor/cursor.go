// Package cursor makes the opaque page cursors of list endpoints. A cursor carries the
// last key of a page as base64url JSON and an HMAC-SHA256 over that key and a scope (the
// tenant and the normalised query), so a cursor only opens in the scope it was made for
// and a client can neither forge nor edit one.
package cursor

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid means the cursor is malformed, tampered with, or made for another scope.
var ErrInvalid = errors.New("invalid cursor")

// Signer signs and opens cursors with one secret.
type Signer struct {
	secret []byte
}

// NewSigner returns a signer for the secret, which must be at least 32 bytes.
func NewSigner(secret []byte) (*Signer, error) {
	if len(secret) < 32 {
		return nil, fmt.Errorf("cursor secret is %d bytes, want at least 32", len(secret))
	}
	return &Signer{secret: append([]byte(nil), secret...)}, nil
}

// Scope joins the parts a cursor is bound to (tenant, normalised query, ...) into one
// unambiguous string.
func Scope(parts ...string) string {
	quoted := make([]string, len(parts))
	for i, p := range parts {
		quoted[i] = fmt.Sprintf("%d:%s", len(p), p)
	}
	return strings.Join(quoted, "|")
}

// Seal returns the cursor for key in scope.
func (s *Signer) Seal(scope string, key map[string]string) (string, error) {
	data, err := json.Marshal(key)
	if err != nil {
		return "", fmt.Errorf("encode cursor key: %w", err)
	}
	payload := base64.RawURLEncoding.EncodeToString(data)
	return payload + "." + s.mac(scope, payload), nil
}

// Open checks a cursor against scope and returns its key, or ErrInvalid.
func (s *Signer) Open(scope, token string) (map[string]string, error) {
	payload, sig, ok := strings.Cut(token, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(s.mac(scope, payload))) {
		return nil, ErrInvalid
	}
	data, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return nil, ErrInvalid
	}
	var key map[string]string
	if err := json.Unmarshal(data, &key); err != nil {
		return nil, ErrInvalid
	}
	return key, nil
}

func (s *Signer) mac(scope, payload string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(scope))
	m.Write([]byte{0})
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
