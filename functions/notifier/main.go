// Command notifier is the Lambda behind the SQS event source of the notifications
// queue. For each notification it delivers every channel on its own (SES v2 email,
// signed Standard Webhooks, Slack incoming webhooks), claims each channel in the rules
// table before sending so a duplicate or retried message never sends a delivered
// channel again, appends every attempt to the rule's delivery log, and answers with a
// partial batch response: a message with a failed channel is made visible again after
// the next step of the retry schedule, and after MAX_ATTEMPTS receives the queue's
// redrive policy moves it to the dead-letter queue.
//
// Environment: DELIVERIES_TABLE (the rules table: delivery states and the log),
// SENDER_EMAIL (SES identity mail is sent from), QUEUE_URL (the notifications queue),
// MAX_ATTEMPTS (default 6; the DLQ's maxReceiveCount must equal it),
// RETRY_SCHEDULE_SECONDS (default "5,30,120,600,1800"), ALLOW_LOOPBACK_DESTINATIONS
// ("true" only on the local stack), LOG_LEVEL. AWS endpoints follow AWS_ENDPOINT_URL.
package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/adpulse/adpulse/shared/delivery"
	"github.com/adpulse/adpulse/shared/logging"
	"github.com/adpulse/adpulse/shared/metrics"
	"github.com/adpulse/adpulse/shared/netguard"
	"github.com/adpulse/adpulse/shared/notify"
	"github.com/adpulse/adpulse/shared/rules"
	"github.com/adpulse/adpulse/shared/tracing"
	"github.com/adpulse/adpulse/shared/webhook"
)

func main() {
	log := logging.New()
	cfg, err := loadConfig(os.Getenv)
	if err != nil {
		log.Error("notifier init failed", "err", err)
		os.Exit(1)
	}
	awsCfg, err := tracing.AWSConfig(context.Background())
	if err != nil {
		log.Error("notifier init failed", "err", fmt.Errorf("load aws config: %w", err))
		os.Exit(1)
	}
	netguard.ConfigureFromEnv()
	h := newHandler(cfg, awsCfg)
	h.Log = log
	lambda.Start(tracing.Handler(metrics.Handler("notifier", h.Handle)))
}

// Config is the function's configuration.
type Config struct {
	Table       string
	Sender      string
	QueueURL    string
	MaxAttempts int
	Schedule    []time.Duration
}

// loadConfig reads and checks the environment.
func loadConfig(getenv func(string) string) (Config, error) {
	c := Config{Table: getenv("DELIVERIES_TABLE"), Sender: getenv("SENDER_EMAIL"),
		QueueURL: getenv("QUEUE_URL"), MaxAttempts: DefaultMaxAttempts,
		Schedule: DefaultSchedule}
	if c.Table == "" || c.Sender == "" || c.QueueURL == "" {
		return c, fmt.Errorf("DELIVERIES_TABLE, SENDER_EMAIL and QUEUE_URL must be set")
	}
	if v := getenv("MAX_ATTEMPTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return c, fmt.Errorf("MAX_ATTEMPTS must be 1 to 100, got %q", v)
		}
		c.MaxAttempts = n
	}
	if v := getenv("RETRY_SCHEDULE_SECONDS"); v != "" {
		c.Schedule = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 0 || n > 43200 {
				return c, fmt.Errorf("RETRY_SCHEDULE_SECONDS: %q is not 0 to 43200", f)
			}
			c.Schedule = append(c.Schedule, time.Duration(n)*time.Second)
		}
	}
	return c, nil
}

// newHandler wires the handler to AWS. The SDK clients are built once per environment.
func newHandler(c Config, awsCfg aws.Config) *Handler {
	db := dynamodb.NewFromConfig(awsCfg)
	store := rules.NewStore(db, c.Table)
	client := webhook.NewClient(webhook.Options{})
	return &Handler{
		States:   &delivery.Store{DB: db, Table: c.Table},
		Attempts: store,
		Queue:    sqs.NewFromConfig(awsCfg),
		QueueURL: c.QueueURL,
		Senders: map[notify.ChannelType]Sender{
			notify.ChannelEmail: &EmailSender{SES: sesv2.NewFromConfig(awsCfg), From: c.Sender,
				Throttled: 3, ThrottleBackoff: 200 * time.Millisecond, Sleep: sleep},
			notify.ChannelWebhook: &WebhookSender{Client: client,
				Secrets: &RuleSecrets{Rules: store, Now: time.Now}, Now: time.Now},
			notify.ChannelSlack: &SlackSender{Client: client},
		},
		MaxAttempts: c.MaxAttempts,
		Schedule:    c.Schedule,
		Now:         time.Now,
		Jitter:      rand.Float64,
	}
}
