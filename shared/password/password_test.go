package password_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/adpulse/adpulse/shared/password"
)

func TestHashAndVerify(t *testing.T) {
	hash, err := password.Fast.Hash("correct horse battery staple")
	if err != nil {
		t.Fatalf("hash: %v", err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Errorf("hash %q is not a PHC argon2id string with the given params", hash)
	}
	other, _ := password.Fast.Hash("correct horse battery staple")
	if other == hash {
		t.Errorf("two hashes of one password are equal: the salt is not random")
	}

	tests := []struct {
		name    string
		encoded string
		pw      string
		want    error
	}{
		{"right password", hash, "correct horse battery staple", nil},
		{"wrong password", hash, "correct horse battery stapler", password.ErrMismatch},
		{"empty password", hash, "", password.ErrMismatch},
		{"not phc", "plaintext", "x", password.ErrMalformed},
		{"bcrypt", "$2a$10$abcdefghijklmnopqrstuv", "x", password.ErrMalformed},
		{"huge memory", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$" +
			"a2V5a2V5a2V5a2V5a2V5a2V5", "x", password.ErrMalformed},
		{"wrong version", strings.Replace(hash, "v=19", "v=16", 1), "x",
			password.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := password.Verify(tc.encoded, tc.pw); !errors.Is(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestGenerate(t *testing.T) {
	a, err := password.Generate()
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	b, _ := password.Generate()
	if len(a) != 24 || a == b {
		t.Errorf("got %q and %q, want two different 24-character passwords", a, b)
	}
}
