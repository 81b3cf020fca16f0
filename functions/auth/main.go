// Command auth is the sign-in Lambda behind API Gateway (REST proxy, no authorizer):
// POST /v1/auth/login, POST /v1/auth/refresh, POST /v1/auth/logout and
// GET /.well-known/jwks.json, and serves the API's OpenAPI document at
// GET /v1/openapi.json. It reads and writes the Accounts table and reads the
// signing key from Secrets Manager.
//
// Environment: ACCOUNTS_TABLE, SIGNING_KEY_SECRET (name or ARN), JWT_ISSUER,
// JWT_AUDIENCE, ACCESS_TOKEN_TTL (Go duration, at most 15m, default 15m),
// CORS_ALLOWED_ORIGINS (comma-separated), LOG_LEVEL. AWS endpoints follow
// AWS_ENDPOINT_URL when it is set.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/adpulse/adpulse/shared/accounts"
	"github.com/adpulse/adpulse/shared/auth"
	"github.com/adpulse/adpulse/shared/httpapi"
	"github.com/adpulse/adpulse/shared/logging"
	"github.com/adpulse/adpulse/shared/password"
	"github.com/adpulse/adpulse/shared/signin"
	"github.com/adpulse/adpulse/shared/tracing"
)

func main() {
	log := logging.New()
	h, err := newHandler(context.Background())
	if err != nil {
		log.Error("auth init failed", "err", err)
		os.Exit(1)
	}
	h.Log = log
	lambda.Start(tracing.Handler(h.Handle))
}

func newHandler(ctx context.Context) (*Handler, error) {
	table, secret := os.Getenv("ACCOUNTS_TABLE"), os.Getenv("SIGNING_KEY_SECRET")
	iss, aud := os.Getenv("JWT_ISSUER"), os.Getenv("JWT_AUDIENCE")
	if table == "" || secret == "" || iss == "" || aud == "" {
		return nil, fmt.Errorf(
			"ACCOUNTS_TABLE, SIGNING_KEY_SECRET, JWT_ISSUER and JWT_AUDIENCE must be set")
	}
	ttl := auth.MaxAccessTTL
	if v := os.Getenv("ACCESS_TOKEN_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > auth.MaxAccessTTL {
			return nil, fmt.Errorf("ACCESS_TOKEN_TTL must be a duration up to 15m, got %q", v)
		}
		ttl = d
	}

	cfg, err := tracing.AWSConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load aws config: %w", err)
	}
	keys := auth.NewSecretSource(secretsmanager.NewFromConfig(cfg), secret, auth.DefaultKeyTTL)
	return &Handler{
		Service: &signin.Service{
			Store:   accounts.NewStore(dynamodb.NewFromConfig(cfg), table),
			Tokens:  &auth.Issuer{Keys: keys, Issuer: iss, Audience: aud, TTL: ttl},
			Hash:    password.Default,
			Account: signin.AccountPolicy, Address: signin.AddressPolicy,
		},
		Keys:    keys,
		Origins: httpapi.ParseOrigins(os.Getenv("CORS_ALLOWED_ORIGINS")),
	}, nil
}
