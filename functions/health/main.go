// Command health is the Lambda behind GET /v1/health (API Gateway REST proxy, public: no
// token, no key). It checks each dependency at once, each with a short timeout: the
// tables (DynamoDB DescribeTable), the events stream (Kinesis DescribeStreamSummary) and
// the queues (SQS GetQueueAttributes), and answers
//
//	200 {"status":"ok","checks":{"store":"ok","stream":"ok","queue":"ok"}}
//
// or 503 with "degraded" and "fail" on the checks that failed. The answer names no
// resource and carries no error text; the cause is logged.
//
// Environment: HEALTH_TABLES (comma-separated table names), STREAM_NAME, HEALTH_QUEUE_URLS
// (comma-separated queue URLs), HEALTH_TIMEOUT_MS (per check, default 2000), LOG_LEVEL.
// AWS endpoints follow AWS_ENDPOINT_URL when it is set.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/adpulse/adpulse/shared/logging"
	"github.com/adpulse/adpulse/shared/tracing"
)

func main() {
	log := logging.New()
	h, err := newHandler(context.Background())
	if err != nil {
		log.Error("health init failed", "err", err)
		os.Exit(1)
	}
	h.Log = log
	lambda.Start(tracing.Handler(h.Handle))
}

func newHandler(ctx context.Context) (*Handler, error) {
	cfg, err := tracing.AWSConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load aws config: %w", err)
	}
	return newHandlerOn(cfg, os.Getenv)
}

// newHandlerOn wires the checks from the environment on cfg (tests pass kumo's).
func newHandlerOn(cfg aws.Config, getenv func(string) string) (*Handler, error) {
	tables, queues := split(getenv("HEALTH_TABLES")), split(getenv("HEALTH_QUEUE_URLS"))
	stream := getenv("STREAM_NAME")
	if len(tables) == 0 || len(queues) == 0 || stream == "" {
		return nil, fmt.Errorf("HEALTH_TABLES, STREAM_NAME and HEALTH_QUEUE_URLS must be set")
	}
	timeout := DefaultTimeout
	if v := getenv("HEALTH_TIMEOUT_MS"); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms < 1 {
			return nil, fmt.Errorf("HEALTH_TIMEOUT_MS must be a positive integer, got %q", v)
		}
		timeout = time.Duration(ms) * time.Millisecond
	}
	// One attempt per call: a health check reports what it sees, it does not retry.
	cfg.RetryMaxAttempts = 1
	return &Handler{
		Timeout: timeout,
		MaxAge:  DefaultMaxAge,
		Checks: map[string]Check{
			"store":  Tables(dynamodb.NewFromConfig(cfg), tables...),
			"stream": Stream(kinesis.NewFromConfig(cfg), stream),
			"queue":  Queues(sqs.NewFromConfig(cfg), queues...),
		},
	}, nil
}

// split returns the comma-separated names of s (table names and queue URLs hold neither
// commas nor spaces).
func split(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}
