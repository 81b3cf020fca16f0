package rules

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/adpulse/adpulse/shared/httpapi"
)

// SecretPrefix starts every webhook signing secret (Standard Webhooks).
const SecretPrefix = "whsec_"

// RotationOverlap is how long the previous secret stays valid after a rotation.
const RotationOverlap = 24 * time.Hour

// NewSecret returns a fresh signing secret: "whsec_" + base64 of 32 random bytes.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate webhook secret: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b), nil
}

// AssignSecrets gives the webhook channels of next their secrets: a channel naming the
// secret_id of a webhook channel of cur keeps that channel's secrets; a channel
// without secret_id gets a new secret_id and secret. It returns the new secrets by
// secret_id (to show once), and field errors for secret ids cur does not have. cur is
// nil on create.
func AssignSecrets(cur, next *Spec, now time.Time) (map[string]string,
	[]httpapi.FieldError, error) {
	known := map[string][]Secret{}
	if cur != nil {
		for _, ch := range cur.Channels {
			if ch.Type == Webhook && ch.SecretID != "" {
				known[ch.SecretID] = ch.Secrets
			}
		}
	}
	fresh := map[string]string{}
	var f fieldErrs
	for i := range next.Channels {
		ch := &next.Channels[i]
		if ch.Type != Webhook {
			continue
		}
		if ch.SecretID != "" {
			secrets, ok := known[ch.SecretID]
			if !ok {
				f.add(fmt.Sprintf("channels[%d].secret_id", i),
					"is not a secret of this rule; leave it out to get a new secret")
				continue
			}
			ch.Secrets = secrets
			delete(known, ch.SecretID) // one channel per secret
			continue
		}
		value, err := NewSecret()
		if err != nil {
			return nil, nil, err
		}
		ch.SecretID = "sec_" + ulid.Make().String()
		ch.Secrets = []Secret{{Value: value, CreatedAt: now.UTC()}}
		fresh[ch.SecretID] = value
	}
	return fresh, f, nil
}

// Rotate gives a webhook channel a new secret and keeps the current one valid for
// RotationOverlap (older ones are dropped), and returns the new secret.
func Rotate(ch *Channel, now time.Time) (string, error) {
	if ch.Type != Webhook {
		return "", fmt.Errorf("rotate: channel type %s has no secret", ch.Type)
	}
	value, err := NewSecret()
	if err != nil {
		return "", err
	}
	now = now.UTC()
	secrets := []Secret{{Value: value, CreatedAt: now}}
	if len(ch.Secrets) > 0 {
		prev := ch.Secrets[0]
		prev.ExpiresAt = now.Add(RotationOverlap)
		secrets = append(secrets, prev)
	}
	ch.Secrets = secrets
	return value, nil
}

// SigningSecrets returns the secrets a webhook delivery is signed with at now, newest
// first: the current one and, for RotationOverlap after a rotation, the previous one.
// Standard Webhooks lets webhook-signature carry one signature per secret.
func (ch Channel) SigningSecrets(now time.Time) []string {
	var out []string
	for _, s := range ch.Secrets {
		if s.ExpiresAt.IsZero() || now.Before(s.ExpiresAt) {
			out = append(out, s.Value)
		}
	}
	return out
}
