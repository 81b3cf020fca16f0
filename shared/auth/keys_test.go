package auth_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/adpulse/adpulse/shared/auth"
	"github.com/adpulse/adpulse/shared/kumotest"
)

func TestJWKSPublishesEveryKeyFirstSigns(t *testing.T) {
	a, _ := auth.NewKeyPEM()
	b, _ := auth.NewKeyPEM()
	ks, err := auth.ParseKeySet(bytes.Join([][]byte{a, b, a}, nil))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	first, _ := auth.ParseKeySet(a)
	doc := ks.JWKS()
	if len(doc.Keys) != 2 {
		t.Fatalf("got %d keys, want 2 (duplicates dropped)", len(doc.Keys))
	}
	if ks.SigningKID() != first.SigningKID() || doc.Keys[0].KID != ks.SigningKID() {
		t.Errorf("signing kid %s, want the first block's %s", ks.SigningKID(),
			first.SigningKID())
	}
	for _, k := range doc.Keys {
		if k.KTY != "EC" || k.CRV != "P-256" || k.ALG != "ES256" || k.Use != "sig" ||
			len(k.X) != 43 || len(k.Y) != 43 || len(k.KID) != 43 {
			t.Errorf("jwk %+v is not a P-256 ES256 signing key", k)
		}
	}
}

func TestParseKeySetRefusesOtherKeys(t *testing.T) {
	tests := []struct {
		name string
		data string
	}{
		{"empty", ""},
		{"not pem", "hello"},
		{"public key block", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := auth.ParseKeySet([]byte(tc.data)); err == nil {
				t.Errorf("got nil error, want a refusal")
			}
		})
	}
}

func TestSecretSourceAgainstKumo(t *testing.T) {
	sm := secretsmanager.NewFromConfig(kumotest.Start(t))
	ctx := context.Background()
	arn, err := auth.CreateSigningKeySecret(ctx, sm, "adpulse/signing-key")
	if err != nil {
		t.Fatalf("create secret: %v", err)
	}
	if _, err := auth.CreateSigningKeySecret(ctx, sm, "adpulse/signing-key"); err == nil {
		t.Errorf("creating the secret twice succeeded; want an error, never a silent new key")
	}

	for _, id := range []string{arn, "adpulse/signing-key"} {
		src := auth.NewSecretSource(sm, id, time.Minute)
		ks, err := src.Keys(ctx)
		if err != nil {
			t.Fatalf("keys by %s: %v", id, err)
		}
		again, _ := src.Keys(ctx)
		if again != ks {
			t.Errorf("second read by %s was not served from the cache", id)
		}
	}
	before, _ := auth.NewSecretSource(sm, arn, time.Minute).Keys(ctx)
	if err := auth.PutSigningKey(ctx, sm, arn); err != nil {
		t.Fatalf("put signing key: %v", err)
	}
	after, err := auth.NewSecretSource(sm, arn, time.Minute).Keys(ctx)
	if err != nil || after.SigningKID() == before.SigningKID() {
		t.Errorf("after put: kid %v (%v), want a new key", after, err)
	}
	if _, err := auth.NewSecretSource(sm, "missing", time.Minute).Keys(ctx); err == nil {
		t.Errorf("a missing secret gave no error")
	}
}
