// Command caps is the Lambda behind the frequency-cap routes of the management API (API
// Gateway REST proxy, every route behind the Lambda authorizer):
//
//	GET|PUT /v1/campaigns/{id}/caps, GET|PUT /v1/campaigns/{id}/ads/{ad}/caps
//
// It reads the Campaigns table (the campaign must exist and belong to the caller's
// tenant) and reads and writes cap items in the Capping table. Environment:
// CAPPING_TABLE, CAMPAIGNS_TABLE, CORS_ALLOWED_ORIGINS (comma separated), LOG_LEVEL. AWS
// endpoints follow AWS_ENDPOINT_URL when it is set.
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

	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/capping"
	"github.com/adpulse/adpulse/shared/httpapi"
	"github.com/adpulse/adpulse/shared/logging"
	"github.com/adpulse/adpulse/shared/ratelimit"
	"github.com/adpulse/adpulse/shared/tracing"
)

func main() {
	log := logging.New()
	h, limiter, err := newHandler(context.Background())
	if err != nil {
		log.Error("caps init failed", "err", err)
		os.Exit(1)
	}
	h.Log = log
	lambda.Start(tracing.Handler(ratelimit.Guard(limiter, h.Origins, log, h.Handle)))
}

func newHandler(ctx context.Context) (*Handler, *ratelimit.Limiter, error) {
	capTable, cmpTable := os.Getenv("CAPPING_TABLE"), os.Getenv("CAMPAIGNS_TABLE")
	if capTable == "" || cmpTable == "" {
		return nil, nil, fmt.Errorf("CAPPING_TABLE and CAMPAIGNS_TABLE must be set")
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
		Caps:      capping.NewDynamo(db, capTable),
		Campaigns: campaign.NewStore(db, cmpTable),
		Origins:   httpapi.ParseOrigins(os.Getenv("CORS_ALLOWED_ORIGINS")),
	}, limiter, nil
}
