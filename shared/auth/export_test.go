package auth

import (
	"crypto/ecdsa"
	"testing"
)

// SigningKeyOf exposes the private signing key to the external tests.
func SigningKeyOf(t *testing.T, ks *KeySet) *ecdsa.PrivateKey {
	t.Helper()
	return ks.signer
}
