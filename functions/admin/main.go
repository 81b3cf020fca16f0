// Command admin is the Lambda behind the tenant administration routes (API Gateway REST
// proxy, behind the authorizer): POST|GET /v1/users, GET|PATCH /v1/users/{id},
// POST|GET /v1/api-keys and DELETE /v1/api-keys/{id}. Only admins may call them. The
// tenant always comes from the authorizer's principal, never from the request.
//
// Environment: ACCOUNTS_TABLE, API_KEYS_TABLE, CORS_ALLOWED_ORIGINS (comma-separated),
// LOG_LEVEL. AWS endpoints follow AWS_ENDPOINT_URL when it is set.
//
// Each signed-in user's requests are counted in RATE_LIMITS_TABLE, at most USER_RATE_LIMIT
// per USER_RATE_WINDOW_SECONDS (shared/ratelimit); over the limit the answer is 429.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/adpulse/adpulse/shared/accounts"
	"github.com/adpulse/adpulse/shared/apikey"
	"github.com/adpulse/adpulse/shared/httpapi"
	"github.com/adpulse/adpulse/shared/logging"
	"github.com/adpulse/adpulse/shared/password"
	"github.com/adpulse/adpulse/shared/ratelimit"
	"github.com/adpulse/adpulse/shared/tracing"
)

func main() {
	log := logging.New()
	h, limiter, err := newHandler(context.Background())
	if err != nil {
		log.Error("admin init failed", "err", err)
		os.Exit(1)
	}
	h.Log = log
	lambda.Start(tracing.Handler(ratelimit.Guard(limiter, h.Origins, log, h.Handle)))
}

func newHandler(ctx context.Context) (*Handler, *ratelimit.Limiter, error) {
	accountsTable, keysTable := os.Getenv("ACCOUNTS_TABLE"), os.Getenv("API_KEYS_TABLE")
	if accountsTable == "" || keysTable == "" {
		return nil, nil, fmt.Errorf("ACCOUNTS_TABLE and API_KEYS_TABLE must be set")
	}
	cfg, err := tracing.AWSConfig(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("load aws config: %w", err)
	}
	db := dynamodb.NewFromConfig(cfg)
	limiter, err := ratelimit.FromEnv(db)
	if err != nil {
		return nil, nil, err
	}
	return &Handler{
		Accounts: accounts.NewStore(db, accountsTable),
		Keys:     apikey.NewAdmin(db, keysTable),
		Hash:     password.Default,
		Origins:  httpapi.ParseOrigins(os.Getenv("CORS_ALLOWED_ORIGINS")),
	}, limiter, nil
}
