// Command decide is the Lambda behind POST /v1/decisions/frequency (API Gateway REST
// proxy): ad servers ask which of up to 50 candidate ads one person may see now. It
// checks the x-api-key header against the ApiKeys table, reads caps from the Capping
// table and time zones from the Campaigns table (both cached 30 s), resolves the person
// and reads the counters from the Capping table. It writes nothing.
//
// Environment: CAPPING_TABLE, CAMPAIGNS_TABLE, API_KEYS_TABLE, LOG_LEVEL. AWS endpoints
// follow AWS_ENDPOINT_URL when it is set.
package main

import (
	"context"
	"fmt"
	"os"
	"time"
	_ "time/tzdata" // campaign time zones must load on runtimes without zoneinfo

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/adpulse/adpulse/shared/apikey"
	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/capping"
	"github.com/adpulse/adpulse/shared/logging"
	"github.com/adpulse/adpulse/shared/metrics"
	"github.com/adpulse/adpulse/shared/tracing"
)

func main() {
	log := logging.New()
	h, err := newHandler(context.Background())
	if err != nil {
		log.Error("decide init failed", "err", err)
		os.Exit(1)
	}
	h.Log = log
	lambda.Start(tracing.Handler(metrics.Handler("decide", h.Handle)))
}

func newHandler(ctx context.Context) (*Handler, error) {
	capTable, cmpTable := os.Getenv("CAPPING_TABLE"), os.Getenv("CAMPAIGNS_TABLE")
	keysTable := os.Getenv("API_KEYS_TABLE")
	if capTable == "" || cmpTable == "" || keysTable == "" {
		return nil, fmt.Errorf("CAPPING_TABLE, CAMPAIGNS_TABLE and API_KEYS_TABLE must be set")
	}
	cfg, err := tracing.AWSConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load aws config: %w", err)
	}
	db := dynamodb.NewFromConfig(cfg)
	return newHandlerOn(db, capTable, cmpTable, keysTable), nil
}

// newHandlerOn wires the handler on a DynamoDB client (tests pass kumo's).
func newHandlerOn(db *dynamodb.Client, capTable, cmpTable, keysTable string) *Handler {
	store := capping.NewDynamo(db, capTable)
	configs := &capping.Configs{Caps: store,
		Timezone: capping.CampaignTimezone(campaign.NewStore(db, cmpTable)),
		TTL:      30 * time.Second, Now: time.Now}
	return &Handler{
		Keys:    apikey.NewCache(apikey.NewStore(db, keysTable), time.Minute, 5*time.Second),
		Decider: &capping.Decider{Store: store, Configs: configs, Now: time.Now},
	}
}
