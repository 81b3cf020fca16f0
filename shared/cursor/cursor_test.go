package cursor_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/adpulse/adpulse/shared/cursor"
)

func TestSealOpen(t *testing.T) {
	s, err := cursor.NewSigner([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	scope := cursor.Scope("t_a", "sort=name")
	tok, err := s.Seal(scope, map[string]string{"id": "cmp_1"})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := cursor.NewSigner([]byte(strings.Repeat("x", 32)))
	payload, _, _ := strings.Cut(tok, ".")

	cases := []struct {
		name   string
		signer *cursor.Signer
		scope  string
		token  string
		ok     bool
	}{
		{"same scope", s, scope, tok, true},
		{"other tenant", s, cursor.Scope("t_b", "sort=name"), tok, false},
		{"other query", s, cursor.Scope("t_a", "sort=-name"), tok, false},
		{"ambiguous join", s, cursor.Scope("t_asort=name"), tok, false},
		{"other secret", other, scope, tok, false},
		{"edited payload", s, scope, "e30." + strings.SplitN(tok, ".", 2)[1], false},
		{"no signature", s, scope, payload, false},
		{"garbage", s, scope, "%%%.###", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key, err := tc.signer.Open(tc.scope, tc.token)
			if tc.ok {
				if err != nil || key["id"] != "cmp_1" {
					t.Fatalf("got %v, %v; want id cmp_1", key, err)
				}
				return
			}
			if !errors.Is(err, cursor.ErrInvalid) {
				t.Fatalf("got %v, %v; want ErrInvalid", key, err)
			}
		})
	}
}

func TestNewSignerShortSecret(t *testing.T) {
	if _, err := cursor.NewSigner([]byte("short")); err == nil {
		t.Fatal("got nil error for a 5-byte secret, want one")
	}
}
