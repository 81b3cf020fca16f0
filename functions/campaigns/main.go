// Command campaigns is the Lambda behind the campaign routes of the management API (API
// Gateway REST proxy, every route behind the Lambda authorizer):
//
//	POST /v1/campaigns, GET /v1/campaigns,
//	GET|PUT|PATCH|DELETE /v1/campaigns/{id}, PATCH /v1/campaigns/{id}/status,
//	GET|PUT /v1/campaigns/{id}/targeting, GET /v1/campaigns/{id}/history
//
// It reads and writes the Campaigns table only. Environment: CAMPAIGNS_TABLE (the table),
// CURSOR_SECRET (at least 32 bytes; signs page cursors), CORS_ALLOWED_ORIGINS (comma
// separated origins), LOG_LEVEL. AWS endpoints follow AWS_ENDPOINT_URL when it is set.
//
// Each signed-in user's requests are counted in RATE_LIMITS_TABLE, at most USER_RATE_LIMIT
// per USER_RATE_WINDOW_SECONDS (shared/ratelimit); over the limit the answer is 429.
package main

import (
	"context"
	"fmt"
	"os"
	_ "time/tzdata" // schedule time zones must load on runtimes without zoneinfo

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/cursor"
	"github.com/adpulse/adpulse/shared/httpapi"
	"github.com/adpulse/adpulse/shared/logging"
	"github.com/adpulse/adpulse/shared/ratelimit"
	"github.com/adpulse/adpulse/shared/tracing"
)

func main() {
	log := logging.New()
	h, limiter, err := newHandler(context.Background())
	if err != nil {
		log.Error("campaigns init failed", "err", err)
		os.Exit(1)
	}
	h.Log = log
	lambda.Start(tracing.Handler(ratelimit.Guard(limiter, h.Origins, log, h.Handle)))
}

func newHandler(ctx context.Context) (*Handler, *ratelimit.Limiter, error) {
	table := os.Getenv("CAMPAIGNS_TABLE")
	if table == "" {
		return nil, nil, fmt.Errorf("CAMPAIGNS_TABLE must be set")
	}
	signer, err := cursor.NewSigner([]byte(os.Getenv("CURSOR_SECRET")))
	if err != nil {
		return nil, nil, fmt.Errorf("CURSOR_SECRET: %w", err)
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
		Store:   campaign.NewStore(db, table),
		Cursors: signer,
		Origins: httpapi.ParseOrigins(os.Getenv("CORS_ALLOWED_ORIGINS")),
	}, limiter, nil
}
