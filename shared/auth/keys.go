package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
)

// KeySet is the parsed content of the signing-key secret.
type KeySet struct {
	signer    *ecdsa.PrivateKey
	signerKID string
	public    map[string]*ecdsa.PublicKey
	order     []string // kids in secret order, for a stable JWKS
}

// KeySource returns the current key set.
type KeySource interface {
	Keys(ctx context.Context) (*KeySet, error)
}

// Keys makes a KeySet its own fixed KeySource.
func (ks *KeySet) Keys(context.Context) (*KeySet, error) { return ks, nil }

// NewKeyPEM returns a fresh P-256 private key as a PKCS#8 PEM block.
func NewKeyPEM() ([]byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate P-256 key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode P-256 key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParseKeySet reads one or more PEM private keys (PKCS#8 or SEC 1 "EC PRIVATE KEY"). All
// must be P-256. The first one signs.
func ParseKeySet(data []byte) (*KeySet, error) {
	ks := &KeySet{public: map[string]*ecdsa.PublicKey{}}
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		key, err := parsePrivate(block)
		if err != nil {
			return nil, err
		}
		kid := KeyID(&key.PublicKey)
		if _, dup := ks.public[kid]; dup {
			continue
		}
		if ks.signer == nil {
			ks.signer, ks.signerKID = key, kid
		}
		ks.public[kid] = &key.PublicKey
		ks.order = append(ks.order, kid)
	}
	if ks.signer == nil {
		return nil, errors.New("parse signing keys: no PEM private key found")
	}
	return ks, nil
}

func parsePrivate(block *pem.Block) (*ecdsa.PrivateKey, error) {
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("parse signing keys: unexpected PEM block %q", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("parse signing keys: %w", err)
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, errors.New("parse signing keys: key is not an EC P-256 key")
	}
	return ec, nil
}

// SigningKID returns the kid of the key that signs new tokens.
func (ks *KeySet) SigningKID() string { return ks.signerKID }

// KeyID returns the RFC 7638 JWK thumbprint of a P-256 public key, base64url-encoded.
func KeyID(pub *ecdsa.PublicKey) string {
	x, y := coordinates(pub)
	// The members in lexicographic order, no whitespace, as RFC 7638 requires.
	canon := fmt.Sprintf(`{"crv":"P-256","kty":"EC","x":"%s","y":"%s"}`, x, y)
	sum := sha256.Sum256([]byte(canon))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// coordinates returns the base64url 32-byte big-endian x and y of a P-256 key.
func coordinates(pub *ecdsa.PublicKey) (string, string) {
	// The uncompressed point is 0x04 || X (32 bytes) || Y (32 bytes).
	raw, err := pub.Bytes()
	if err != nil || len(raw) != 65 {
		return "", ""
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString(raw[1:33]), enc.EncodeToString(raw[33:])
}

// JWK is one public key as JWKS publishes it.
type JWK struct {
	KID string `json:"kid"`
	KTY string `json:"kty"`
	CRV string `json:"crv"`
	ALG string `json:"alg"`
	Use string `json:"use"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// JWKS is the document served at /.well-known/jwks.json.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// JWKS returns the public half of every key in the set.
func (ks *KeySet) JWKS() JWKS {
	doc := JWKS{Keys: make([]JWK, 0, len(ks.order))}
	for _, kid := range ks.order {
		x, y := coordinates(ks.public[kid])
		doc.Keys = append(doc.Keys, JWK{KID: kid, KTY: "EC", CRV: "P-256", ALG: "ES256",
			Use: "sig", X: x, Y: y})
	}
	return doc
}
