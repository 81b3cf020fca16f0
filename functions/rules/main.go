// Command rules is the Lambda behind the alert rule routes of the management API (API
// Gateway REST proxy, every route behind the Lambda authorizer):
//
//	POST /v1/rules, GET /v1/rules,
//	GET|PUT|PATCH|DELETE /v1/rules/{id}, GET /v1/rules/{id}/deliveries,
//	POST /v1/rules/{id}/channels/{n}/rotate-secret
//
// It reads and writes the Rules table and reads the Campaigns table (a rule's campaign
// must be one of the caller's tenant). Saving a webhook or Slack URL resolves its host
// (DNS) to check the destination policy. Environment: RULES_TABLE, CAMPAIGNS_TABLE,
// CORS_ALLOWED_ORIGINS (comma separated origins), ALLOW_LOOPBACK_DESTINATIONS ("true"
// on the local stack only), LOG_LEVEL. AWS endpoints follow AWS_ENDPOINT_URL when set.
//
// Each signed-in user's requests are counted in RATE_LIMITS_TABLE, at most USER_RATE_LIMIT
// per USER_RATE_WINDOW_SECONDS (shared/ratelimit); over the limit the answer is 429.
package main

import (
	"context"
	"fmt"
	"net"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/httpapi"
	"github.com/adpulse/adpulse/shared/logging"
	"github.com/adpulse/adpulse/shared/netguard"
	"github.com/adpulse/adpulse/shared/ratelimit"
	"github.com/adpulse/adpulse/shared/rules"
	"github.com/adpulse/adpulse/shared/tracing"
)

func main() {
	log := logging.New()
	h, limiter, err := newHandler(context.Background())
	if err != nil {
		log.Error("rules init failed", "err", err)
		os.Exit(1)
	}
	h.Log = log
	lambda.Start(tracing.Handler(ratelimit.Guard(limiter, h.Origins, log, h.Handle)))
}

func newHandler(ctx context.Context) (*Handler, *ratelimit.Limiter, error) {
	rulesTable, campaignsTable := os.Getenv("RULES_TABLE"), os.Getenv("CAMPAIGNS_TABLE")
	if rulesTable == "" || campaignsTable == "" {
		return nil, nil, fmt.Errorf("RULES_TABLE and CAMPAIGNS_TABLE must be set")
	}
	netguard.ConfigureFromEnv()
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
		Rules:     rules.NewStore(db, rulesTable),
		Campaigns: campaign.NewStore(db, campaignsTable),
		Resolver:  net.DefaultResolver,
		Origins:   httpapi.ParseOrigins(os.Getenv("CORS_ALLOWED_ORIGINS")),
	}, limiter, nil
}
