package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/adpulse/adpulse/shared/webhook"
)

// The test vector published with the Standard Webhooks reference libraries.
const (
	specSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTS     = 1614265330
	specBody   = `{"test": 2432232314}`
	specSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignSpecVector(t *testing.T) {
	got, err := webhook.Sign(specID, time.Unix(specTS, 0), []byte(specBody), specSecret)
	if err != nil {
		t.Fatal(err)
	}
	if got != specSig {
		t.Errorf("Sign = %q, want %q", got, specSig)
	}

	// The same by hand, from the spec's definition, so the algorithm is pinned here too.
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(specSecret, "whsec_"))
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(specID + "." + strconv.Itoa(specTS) + "." + specBody))
	if want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)); want != specSig {
		t.Errorf("hand-made signature %q differs from the vector", want)
	}
}

func TestVerify(t *testing.T) {
	oldSecret, _ := webhook.NewSecret()
	newSecret, _ := webhook.NewSecret()
	otherSecret, _ := webhook.NewSecret()
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":"ntf_1"}`)

	headers := func(ts time.Time, secrets ...string) http.Header {
		h := http.Header{}
		if err := webhook.SetHeaders(h, "ntf_1_0", ts, body, secrets...); err != nil {
			t.Fatal(err)
		}
		return h
	}
	tests := []struct {
		name    string
		header  http.Header
		body    []byte
		secrets []string
		want    error
	}{
		{"spec vector", http.Header{"Webhook-Id": {specID},
			"Webhook-Timestamp": {strconv.Itoa(specTS)}, "Webhook-Signature": {specSig}},
			[]byte(specBody), []string{specSecret}, nil},
		{"one secret", headers(now, newSecret), body, []string{newSecret}, nil},
		{"rotation: signed with both, receiver has old", headers(now, oldSecret, newSecret),
			body, []string{oldSecret}, nil},
		{"rotation: signed with both, receiver has new", headers(now, oldSecret, newSecret),
			body, []string{newSecret}, nil},
		{"rotation: signed with new, receiver keeps both", headers(now, newSecret),
			body, []string{oldSecret, newSecret}, nil},
		{"wrong secret", headers(now, newSecret), body, []string{otherSecret},
			webhook.ErrNoMatch},
		{"body changed", headers(now, newSecret), []byte(`{"id":"ntf_2"}`),
			[]string{newSecret}, webhook.ErrNoMatch},
		{"within tolerance", headers(now.Add(-4*time.Minute), newSecret), body,
			[]string{newSecret}, nil},
		{"too old", headers(now.Add(-6*time.Minute), newSecret), body,
			[]string{newSecret}, webhook.ErrTooOld},
		{"too new", headers(now.Add(6*time.Minute), newSecret), body,
			[]string{newSecret}, webhook.ErrTooNew},
		{"missing headers", http.Header{}, body, []string{newSecret},
			webhook.ErrMissingHeaders},
		{"bad timestamp", http.Header{"Webhook-Id": {"x"}, "Webhook-Timestamp": {"soon"},
			"Webhook-Signature": {"v1,x"}}, body, []string{newSecret}, webhook.ErrBadTimestamp},
		{"no usable secret", headers(now, newSecret), body, []string{"whsec_!!"},
			webhook.ErrNoSecret},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := now
			if tc.name == "spec vector" {
				clock = time.Unix(specTS+10, 0)
			}
			err := webhook.Verify(tc.header, tc.body, clock, tc.secrets...)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Errorf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestSignNeedsSecret(t *testing.T) {
	if _, err := webhook.Sign("id", time.Now(), nil); !errors.Is(err, webhook.ErrNoSecret) {
		t.Errorf("Sign without secret = %v, want ErrNoSecret", err)
	}
	if _, err := webhook.Sign("id", time.Now(), nil, "whsec_%%%"); !errors.Is(err,
		webhook.ErrNoSecret) {
		t.Errorf("Sign with a bad secret = %v, want ErrNoSecret", err)
	}
}
