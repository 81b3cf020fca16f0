// Command authorizer is the API Gateway REQUEST authorizer of the management routes. It
// verifies the "Authorization: Bearer <jwt>" header, checks that the user still exists
// and is enabled (cached for 30 s), and allows the whole stage with the principal
// (tenant_id, user_id, role, email) as context. A bad token gets "Unauthorized", which
// API Gateway answers with 401.
//
// Environment: SIGNING_KEY_SECRET, ACCOUNTS_TABLE, JWT_ISSUER, JWT_AUDIENCE, LOG_LEVEL.
// AWS endpoints follow AWS_ENDPOINT_URL when it is set.
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
	"github.com/adpulse/adpulse/shared/logging"
	"github.com/adpulse/adpulse/shared/tracing"
)

func main() {
	log := logging.New()
	h, err := newHandler(context.Background())
	if err != nil {
		log.Error("authorizer init failed", "err", err)
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
	cfg, err := tracing.AWSConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load aws config: %w", err)
	}
	keys := auth.NewSecretSource(secretsmanager.NewFromConfig(cfg), secret, auth.DefaultKeyTTL)
	return &Handler{
		Verifier: &auth.Verifier{Keys: keys, Issuer: iss, Audience: aud},
		Users: NewUserCache(accounts.NewStore(dynamodb.NewFromConfig(cfg), table),
			30*time.Second),
	}, nil
}
