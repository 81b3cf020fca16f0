// Command reports is the Lambda behind the report routes of the management API (API
// Gateway REST proxy, every route behind the Lambda authorizer):
//
//	GET /v1/campaigns/{id}/reports, GET /v1/reports/campaigns
//
// It only reads: the Aggregates table (rollups and reach sketches) and the Campaigns
// table. Environment: AGGREGATES_TABLE, CAMPAIGNS_TABLE, CORS_ALLOWED_ORIGINS (comma
// separated origins), LOG_LEVEL. AWS endpoints follow AWS_ENDPOINT_URL when it is set.
//
// Each signed-in user's requests are counted in RATE_LIMITS_TABLE, at most USER_RATE_LIMIT
// per USER_RATE_WINDOW_SECONDS (shared/ratelimit); over the limit the answer is 429.
package main

import (
	"context"
	"fmt"
	"os"
	"time"
	_ "time/tzdata" // report time zones must load on runtimes without zoneinfo

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/httpapi"
	"github.com/adpulse/adpulse/shared/logging"
	"github.com/adpulse/adpulse/shared/ratelimit"
	"github.com/adpulse/adpulse/shared/report"
	"github.com/adpulse/adpulse/shared/totals"
	"github.com/adpulse/adpulse/shared/tracing"
)

func main() {
	log := logging.New()
	h, limiter, err := newHandler(context.Background())
	if err != nil {
		log.Error("reports init failed", "err", err)
		os.Exit(1)
	}
	h.Log = log
	lambda.Start(tracing.Handler(ratelimit.Guard(limiter, h.Origins, log, h.Handle)))
}

func newHandler(ctx context.Context) (*Handler, *ratelimit.Limiter, error) {
	aggregates, campaigns := os.Getenv("AGGREGATES_TABLE"), os.Getenv("CAMPAIGNS_TABLE")
	if aggregates == "" || campaigns == "" {
		return nil, nil, fmt.Errorf("AGGREGATES_TABLE and CAMPAIGNS_TABLE must be set")
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
		Reports: &report.Reporter{Totals: &totals.Reader{DB: db, Table: aggregates},
			Campaigns: campaign.NewStore(db, campaigns), Now: time.Now},
		Origins: httpapi.ParseOrigins(os.Getenv("CORS_ALLOWED_ORIGINS")),
	}, limiter, nil
}
