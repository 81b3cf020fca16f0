package auth

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// SecretsAPI is the part of the Secrets Manager client this package uses.
type SecretsAPI interface {
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput,
		...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	CreateSecret(context.Context, *secretsmanager.CreateSecretInput,
		...func(*secretsmanager.Options)) (*secretsmanager.CreateSecretOutput, error)
	PutSecretValue(context.Context, *secretsmanager.PutSecretValueInput,
		...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
}

// DefaultKeyTTL is how long a SecretSource keeps the key set before reading it again. A
// key added to the secret is trusted everywhere within this time (see docs/auth.md for
// rotation).
const DefaultKeyTTL = 5 * time.Minute

// SecretSource loads the key set from a Secrets Manager secret and caches it in memory.
type SecretSource struct {
	client   SecretsAPI
	secretID string
	ttl      time.Duration
	now      func() time.Time

	mu      sync.Mutex
	keys    *KeySet
	fetched time.Time
}

// NewSecretSource returns a source over the secret with the given name or ARN.
func NewSecretSource(client SecretsAPI, secretID string, ttl time.Duration) *SecretSource {
	return &SecretSource{client: client, secretID: secretID, ttl: ttl, now: time.Now}
}

// Keys returns the cached key set, reading the secret when the cache is empty or stale.
// When a refresh fails but an older set is cached, the older set is kept for use.
func (s *SecretSource) Keys(ctx context.Context) (*KeySet, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.keys != nil && now.Sub(s.fetched) < s.ttl {
		return s.keys, nil
	}

	out, err := s.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
		SecretId: aws.String(s.secretID),
	})
	if err != nil {
		if s.keys != nil {
			return s.keys, nil
		}
		return nil, fmt.Errorf("read signing key secret %s: %w", s.secretID, err)
	}
	ks, err := ParseKeySet([]byte(aws.ToString(out.SecretString)))
	if err != nil {
		return nil, fmt.Errorf("signing key secret %s: %w", s.secretID, err)
	}
	s.keys, s.fetched = ks, now
	return ks, nil
}

// CreateSigningKeySecret creates a secret holding a fresh P-256 key and returns its ARN.
func CreateSigningKeySecret(ctx context.Context, client SecretsAPI,
	name string) (string, error) {
	pemKey, err := NewKeyPEM()
	if err != nil {
		return "", fmt.Errorf("create signing key secret %s: %w", name, err)
	}
	out, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:         aws.String(name),
		Description:  aws.String("adpulse access-token signing keys (PEM, first one signs)"),
		SecretString: aws.String(string(pemKey)),
	})
	if err != nil {
		return "", fmt.Errorf("create signing key secret %s: %w", name, err)
	}
	return aws.ToString(out.ARN), nil
}

// PutSigningKey replaces the value of an existing secret (one the CDK app created, say)
// with a fresh P-256 key. Tokens signed by the old key stop verifying once the functions'
// caches expire; rotate by hand (docs/auth.md) when sessions must survive.
func PutSigningKey(ctx context.Context, client SecretsAPI, secretID string) error {
	pemKey, err := NewKeyPEM()
	if err != nil {
		return fmt.Errorf("put signing key %s: %w", secretID, err)
	}
	_, err = client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(secretID), SecretString: aws.String(string(pemKey)),
	})
	if err != nil {
		return fmt.Errorf("put signing key %s: %w", secretID, err)
	}
	return nil
}
