// Command ingest is the Lambda behind POST /v1/events and POST /v1/events/batch (API
// Gateway REST proxy). It checks the x-api-key header against the ApiKeys table, validates
// each event on its own and writes the valid ones to the Kinesis stream.
//
// Environment: STREAM_NAME (the stream), API_KEYS_TABLE (the keys table),
// PARTITION_SALTS (how many partition keys one campaign spreads over, default 16),
// RECORD_CODEC (s2, the default: S2-compressed records; json: the uncompressed format, for
// a stream whose consumer predates compression), LOG_LEVEL. AWS endpoints follow
// AWS_ENDPOINT_URL when it is set.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/adpulse/adpulse/shared/apikey"
	"github.com/adpulse/adpulse/shared/event"
	"github.com/adpulse/adpulse/shared/ingest"
	"github.com/adpulse/adpulse/shared/logging"
	"github.com/adpulse/adpulse/shared/meter"
	"github.com/adpulse/adpulse/shared/metrics"
	"github.com/adpulse/adpulse/shared/tracing"
)

// usage meters the AWS calls of each invocation; logged after it as "aws usage".
var usage = meter.New()

func main() {
	log := logging.New()
	h, err := newHandler(context.Background())
	if err != nil {
		log.Error("ingest init failed", "err", err)
		os.Exit(1)
	}
	h.Log = log
	lambda.Start(tracing.Handler(metrics.Handler("ingest", meter.Handler(usage, log, h.Handle))))
}

func newHandler(ctx context.Context) (*ingest.Handler, error) {
	stream, keysTable := os.Getenv("STREAM_NAME"), os.Getenv("API_KEYS_TABLE")
	if stream == "" || keysTable == "" {
		return nil, fmt.Errorf("STREAM_NAME and API_KEYS_TABLE must be set")
	}
	salts := 16
	if v := os.Getenv("PARTITION_SALTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1024 {
			return nil, fmt.Errorf("PARTITION_SALTS must be 1 to 1024, got %q", v)
		}
		salts = n
	}
	codec := event.CodecS2
	if v := os.Getenv("RECORD_CODEC"); v != "" {
		c, err := event.ParseCodec(v)
		if err != nil {
			return nil, fmt.Errorf("RECORD_CODEC: %w", err)
		}
		codec = c
	}

	cfg, err := tracing.AWSConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load aws config: %w", err)
	}
	usage.NameTables(meter.TableLabels(os.Environ())) // DynamoDB usage by table variable
	cfg.APIOptions = append(cfg.APIOptions, meter.Install(usage))
	keys := apikey.NewStore(dynamodb.NewFromConfig(cfg), keysTable)
	return &ingest.Handler{
		Keys: apikey.NewCache(keys, time.Minute, 5*time.Second),
		Publisher: &ingest.Publisher{
			Client: kinesis.NewFromConfig(cfg), Stream: stream,
			Attempts: 4, Backoff: 50 * time.Millisecond,
		},
		Salts: salts,
		Codec: codec,
		Now:   time.Now,
	}, nil
}
