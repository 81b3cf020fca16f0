// Package auth issues and verifies the management API's access tokens.
//
// Access tokens are JWTs signed with ES256 (ECDSA P-256). Each carries a kid header, the
// RFC 7638 thumbprint of its public key, and the claims iss, aud, sub (the user id), exp,
// iat, nbf, jti, tenant_id and role. Verification pins ES256, requires exp, iss and aud,
// and accepts only a kid from the current key set.
//
// The keys are EC private keys in PEM, one or more blocks in a Secrets Manager secret:
// the first block signs, every block verifies and is published in the JWKS. A
// SecretSource reads the secret and keeps it in memory for a few minutes.
package auth
