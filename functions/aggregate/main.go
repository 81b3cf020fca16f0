// Command aggregate is the Lambda behind the Kinesis event source mapping of the events
// stream. It folds each batch into per-campaign and per-ad rollups in the Aggregates
// table, counting each event exactly once, parks poison records on the failure queue and
// answers with a partial batch response.
//
// Environment: AGGREGATES_TABLE, CLAIMS_TABLE (the de-duplication log), FAILURE_QUEUE_URL,
// DEDUP_WINDOW_HOURS (how long an event id is remembered, default 168), DEDUP_LOG_FORMAT
// (the format of new de-duplication log items: 2, the default, or 1 for the first step of
// a rollout from code older than format 2; both are read), LOG_LEVEL. With
// RULES_TABLE set it also evaluates alert rules on the new totals, reading CAMPAIGNS_TABLE
// and sending to NOTIFICATIONS_QUEUE_URL, with links under LINK_BASE. With CAPPING_TABLE
// set it counts impressions against frequency caps (reading CAMPAIGNS_TABLE). AWS
// endpoints follow AWS_ENDPOINT_URL when it is set.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"
	_ "time/tzdata" // campaign time zones without the OS database (provided.al2023 has none)

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/adpulse/adpulse/shared/aggregate"
	"github.com/adpulse/adpulse/shared/alerting"
	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/capping"
	"github.com/adpulse/adpulse/shared/logging"
	"github.com/adpulse/adpulse/shared/meter"
	"github.com/adpulse/adpulse/shared/metrics"
	"github.com/adpulse/adpulse/shared/rules"
	"github.com/adpulse/adpulse/shared/totals"
	"github.com/adpulse/adpulse/shared/tracing"
)

// minuteRetention is how long a minute rollup row lives after its last write.
const minuteRetention = 35 * 24 * time.Hour

// usage meters the AWS calls of each invocation; logged after it as "aws usage".
var usage = meter.New()

func main() {
	log := logging.New()
	h, err := newHandler(context.Background())
	if err != nil {
		log.Error("aggregate init failed", "err", err)
		os.Exit(1)
	}
	h.Log = log
	lambda.Start(tracing.Handler(
		metrics.Handler("aggregate", meter.Handler(usage, log, h.Handle))))
}

func newHandler(ctx context.Context) (*aggregate.Handler, error) {
	h := &aggregate.Handler{
		AggregatesTable: os.Getenv("AGGREGATES_TABLE"),
		ClaimsTable:     os.Getenv("CLAIMS_TABLE"),
		FailureQueueURL: os.Getenv("FAILURE_QUEUE_URL"),
		DedupWindow:     168 * time.Hour,
		MinuteRetention: minuteRetention,
		Workers:         32,
		Now:             time.Now,
	}
	if h.AggregatesTable == "" || h.ClaimsTable == "" || h.FailureQueueURL == "" {
		return nil, fmt.Errorf("AGGREGATES_TABLE, CLAIMS_TABLE and FAILURE_QUEUE_URL must be set")
	}
	if v := os.Getenv("DEDUP_WINDOW_HOURS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("DEDUP_WINDOW_HOURS must be a positive integer, got %q", v)
		}
		h.DedupWindow = time.Duration(n) * time.Hour
	}
	format, err := aggregate.ParseLogFormat(os.Getenv("DEDUP_LOG_FORMAT"))
	if err != nil {
		return nil, fmt.Errorf("DEDUP_LOG_FORMAT: %w", err)
	}
	h.LogFormat = format

	cfg, err := tracing.AWSConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load aws config: %w", err)
	}
	usage.NameTables(meter.TableLabels(os.Environ())) // DynamoDB usage by table variable
	cfg.APIOptions = append(cfg.APIOptions, meter.Install(usage))
	h.DB = dynamodb.NewFromConfig(cfg)
	h.Queue = sqs.NewFromConfig(cfg)
	h.Shards = kinesis.NewFromConfig(cfg)
	if os.Getenv("RULES_TABLE") != "" {
		if h.Evaluator, err = newEvaluator(h); err != nil {
			return nil, err
		}
	}
	if table := os.Getenv("CAPPING_TABLE"); table != "" {
		h.Capping = newCapping(h, table)
	}
	return h, nil
}

// newCapping counts impressions against frequency caps kept in table.
func newCapping(h *aggregate.Handler, table string) *capping.Counter {
	db := h.DB.(*dynamodb.Client)
	caps := capping.NewDynamo(db, table)
	return &capping.Counter{
		Store: caps, DedupWindow: h.DedupWindow,
		Configs: &capping.Configs{Caps: caps, TTL: 30 * time.Second,
			Timezone: capping.CampaignTimezone(campaign.NewStore(db,
				os.Getenv("CAMPAIGNS_TABLE")))},
	}
}

// newEvaluator wires rule evaluation to the tables and queue named in the environment.
func newEvaluator(h *aggregate.Handler) (*alerting.Evaluator, error) {
	campaigns, queue := os.Getenv("CAMPAIGNS_TABLE"), os.Getenv("NOTIFICATIONS_QUEUE_URL")
	if campaigns == "" || queue == "" {
		return nil, fmt.Errorf("RULES_TABLE needs CAMPAIGNS_TABLE and NOTIFICATIONS_QUEUE_URL")
	}
	db := h.DB.(*dynamodb.Client)
	store := rules.NewStore(db, os.Getenv("RULES_TABLE"))
	log := logging.New()
	cache := rules.NewCache(store, 30*time.Second)
	cache.OnStale = func(tenant string, err error) {
		log.Warn("rules served stale", "tenant", tenant, "err", err.Error())
	}
	return &alerting.Evaluator{
		Rules: cache, States: store,
		Campaigns: campaign.NewStore(db, campaigns),
		Totals:    &totals.Reader{DB: db, Table: h.AggregatesTable},
		Queue:     h.Queue.(*sqs.Client), QueueURL: queue,
		LinkBase: os.Getenv("LINK_BASE"), Now: time.Now, Log: log,
	}, nil
}
