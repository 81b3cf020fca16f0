package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// ErrMismatch means the password does not match the hash.
var ErrMismatch = errors.New("password does not match")

// ErrMalformed means a stored hash is not an argon2id PHC string this package can read.
var ErrMalformed = errors.New("malformed password hash")

// Params are the argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// Default is the production cost: 64 MiB, 2 passes, 1 lane, above the OWASP minimum
// (19 MiB, 2 passes). It takes tens of milliseconds on a 1 GB Lambda function.
var Default = Params{Memory: 64 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Fast is a cheap cost for tests only.
var Fast = Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// limits bound what Verify accepts from a stored hash, so that a corrupt or hostile record
// cannot make one check allocate gigabytes.
const (
	maxMemory  = 1 << 20 // KiB, 1 GiB
	maxTime    = 16
	maxKeyLen  = 64
	maxSaltLen = 64
	maxInput   = 1024 // bytes of password accepted at all
)

// Hash returns the PHC-format argon2id hash of pw with a fresh random salt.
func (p Params) Hash(pw string) (string, error) {
	if len(pw) > maxInput {
		return "", fmt.Errorf("hash password: longer than %d bytes", maxInput)
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: read salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory,
		p.Time, p.Threads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// Verify checks pw against a PHC-format argon2id hash in constant time. It returns nil on
// a match, ErrMismatch when the password is wrong and ErrMalformed for an unreadable hash.
func Verify(encoded, pw string) error {
	p, salt, want, err := decode(encoded)
	if err != nil {
		return err
	}
	if len(pw) > maxInput {
		return ErrMismatch
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrMismatch
	}
	return nil
}

// decode splits a PHC string into its parameters, salt and key.
func decode(encoded string) (Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return Params{}, nil, nil, ErrMalformed
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil ||
		version != argon2.Version {
		return Params{}, nil, nil, ErrMalformed
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time,
		&p.Threads); err != nil {
		return Params{}, nil, nil, ErrMalformed
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return Params{}, nil, nil, ErrMalformed
	}
	if p.Memory == 0 || p.Memory > maxMemory || p.Time == 0 || p.Time > maxTime ||
		p.Threads == 0 || len(salt) < 8 || len(salt) > maxSaltLen || len(key) < 16 ||
		len(key) > maxKeyLen {
		return Params{}, nil, nil, ErrMalformed
	}
	return p, salt, key, nil
}

// Generate returns a random password of 144 bits, 24 URL-safe characters.
func Generate() (string, error) {
	buf := make([]byte, 18)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("generate password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(buf), nil
}
