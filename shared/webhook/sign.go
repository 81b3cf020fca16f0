package webhook

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Header names of a Standard Webhooks delivery.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts every signing secret.
const SecretPrefix = "whsec_"

// Tolerance is how far a delivery's timestamp may be from the receiver's clock.
const Tolerance = 5 * time.Minute

// Verification errors; Verify wraps one of them.
var (
	ErrMissingHeaders = errors.New("missing webhook-id, webhook-timestamp or webhook-signature")
	ErrBadTimestamp   = errors.New("webhook-timestamp is not Unix seconds")
	ErrTooOld         = errors.New("timestamp is older than the tolerance")
	ErrTooNew         = errors.New("timestamp is further in the future than the tolerance")
	ErrNoMatch        = errors.New("no signature matches a known secret")
	ErrNoSecret       = errors.New("no valid signing secret")
)

// NewSecret returns a fresh signing secret: "whsec_" and 32 random bytes in base64.
func NewSecret() (string, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("new webhook secret: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(key), nil
}

// Sign returns the webhook-signature header value for one delivery: one "v1,<sig>" per
// secret, separated by single spaces. Give two secrets during a rotation.
func Sign(id string, ts time.Time, body []byte, secrets ...string) (string, error) {
	if len(secrets) == 0 {
		return "", ErrNoSecret
	}
	sigs := make([]string, 0, len(secrets))
	for i, s := range secrets {
		wh, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			return "", fmt.Errorf("signing secret %d: %w", i, ErrNoSecret)
		}
		sig, err := wh.Sign(id, ts, body)
		if err != nil {
			return "", fmt.Errorf("sign with secret %d: %w", i, err)
		}
		sigs = append(sigs, sig)
	}
	return strings.Join(sigs, " "), nil
}

// SetHeaders signs body and sets the three Standard Webhooks headers on h.
func SetHeaders(h http.Header, id string, ts time.Time, body []byte, secrets ...string) error {
	sig, err := Sign(id, ts, body, secrets...)
	if err != nil {
		return err
	}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, sig)
	return nil
}

// Verify checks a delivery as a receiver does: the three headers are present, the
// timestamp is within Tolerance of now, and at least one of the header's signatures
// matches one of secrets (compared in constant time). Any of several secrets may match,
// so a receiver keeps the old secret next to the new one while a rotation runs.
func Verify(h http.Header, body []byte, now time.Time, secrets ...string) error {
	id, sig, tsText := h.Get(HeaderID), h.Get(HeaderSignature), h.Get(HeaderTimestamp)
	if id == "" || sig == "" || tsText == "" {
		return fmt.Errorf("verify webhook: %w", ErrMissingHeaders)
	}
	sec, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("verify webhook %s: %w", id, ErrBadTimestamp)
	}
	ts := time.Unix(sec, 0)
	switch {
	case now.Sub(ts) > Tolerance:
		return fmt.Errorf("verify webhook %s: %w", id, ErrTooOld)
	case ts.Sub(now) > Tolerance:
		return fmt.Errorf("verify webhook %s: %w", id, ErrTooNew)
	}

	valid := 0
	for _, s := range secrets {
		wh, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			continue
		}
		valid++
		// The timestamp was judged above against the caller's clock.
		if wh.VerifyIgnoringTimestamp(body, h) == nil {
			return nil
		}
	}
	if valid == 0 {
		return fmt.Errorf("verify webhook %s: %w", id, ErrNoSecret)
	}
	return fmt.Errorf("verify webhook %s: %w", id, ErrNoMatch)
}
