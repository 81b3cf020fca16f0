package esm

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/adpulse/adpulse/devstack/lambdarun"
)

// Config describes one Kinesis event source mapping. Zero values take the AWS defaults
// noted on each field.
type Config struct {
	FunctionName string // physical name to invoke
	FunctionARN  string
	RoleARN      string // invokeIdentityArn of the records
	StreamName   string
	StreamARN    string
	Region       string // default us-east-1

	BatchSize        int           // default 100
	Window           time.Duration // MaximumBatchingWindowInSeconds
	Bisect           bool          // BisectBatchOnFunctionError
	MaxRetries       int           // MaximumRetryAttempts; -1 infinite
	MaxRecordAge     time.Duration // MaximumRecordAgeInSeconds; negative: infinite
	ReportItemErrors bool          // FunctionResponseTypes has ReportBatchItemFailures
	StartingPosition string        // TRIM_HORIZON (default), LATEST or AT_TIMESTAMP
	StartTimestamp   time.Time     // for AT_TIMESTAMP
	OnFailureURL     string        // on-failure SQS queue URL; empty: none

	// Redeliver invokes every batch twice, the second time as a Lambda retry would
	// (same records, same event ids), to prove that the function is idempotent.
	Redeliver bool

	PollInterval time.Duration // idle poll period; default 1 s, as Lambda
	RetryBackoff time.Duration // first retry delay, doubling up to 2 s; default 100 ms
}

// Kinesis is the part of the Kinesis API the pollers use.
type Kinesis interface {
	ListShards(context.Context, *kinesis.ListShardsInput, ...func(*kinesis.Options)) (
		*kinesis.ListShardsOutput, error)
	GetShardIterator(context.Context, *kinesis.GetShardIteratorInput,
		...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error)
	GetRecords(context.Context, *kinesis.GetRecordsInput, ...func(*kinesis.Options)) (
		*kinesis.GetRecordsOutput, error)
}

// Invoker invokes a function synchronously (lambdarun.Runner in the stack).
type Invoker interface {
	Invoke(ctx context.Context, function string, payload []byte) (lambdarun.Result, error)
}

// Sender sends on-failure messages (an SQS client).
type Sender interface {
	SendMessage(context.Context, *sqs.SendMessageInput, ...func(*sqs.Options)) (
		*sqs.SendMessageOutput, error)
}

// Stats counts what a mapping did.
type Stats struct {
	Invocations   int64 // every invocation, retries and redeliveries included
	Batches       int64 // batches (or remainders) that ended in success
	Records       int64 // records the function processed successfully
	Retries       int64 // invocations repeating records after a failure
	Bisects       int64 // batches split in two after a function error
	Redeliveries  int64 // extra deliveries made by Config.Redeliver
	FailuresSent  int64 // on-failure messages sent
	RecordsFailed int64 // records given up (retries exhausted or too old)
}

// Mapping delivers one stream's records to one function. Create it with New, run it
// with Start, stop it with Close.
type Mapping struct {
	cfg  Config
	kin  Kinesis
	inv  Invoker
	send Sender
	log  *slog.Logger

	stats   counters
	pollers []*poller
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// counters are the atomic counterparts of Stats.
type counters struct {
	invocations, batches, records, retries, bisects, redeliveries, failuresSent,
	recordsFailed atomic.Int64
}

// New returns a mapping; send may be nil when there is no on-failure destination.
func New(cfg Config, kin Kinesis, inv Invoker, send Sender, log *slog.Logger) *Mapping {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 100
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = 100 * time.Millisecond
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.StartingPosition == "" {
		cfg.StartingPosition = "TRIM_HORIZON"
	}
	return &Mapping{cfg: cfg, kin: kin, inv: inv, send: send,
		log: log.With("stream", cfg.StreamName, "function", cfg.FunctionName)}
}

// Start lists the stream's shards and starts one poller per shard.
func (m *Mapping) Start(ctx context.Context) error {
	out, err := m.kin.ListShards(ctx, &kinesis.ListShardsInput{
		StreamName: aws.String(m.cfg.StreamName)})
	if err != nil {
		return fmt.Errorf("list shards of %s: %w", m.cfg.StreamName, err)
	}
	ctx, m.cancel = context.WithCancel(context.WithoutCancel(ctx))
	for _, s := range out.Shards {
		p := &poller{m: m, shardID: aws.ToString(s.ShardId)}
		m.pollers = append(m.pollers, p)
		m.wg.Go(func() { p.run(ctx) })
	}
	m.log.Info("event source mapping started", "shards", len(m.pollers),
		"batchSize", m.cfg.BatchSize, "window", m.cfg.Window, "redeliver", m.cfg.Redeliver)
	return nil
}

// Close stops the pollers and waits for the batches in flight.
func (m *Mapping) Close() {
	if m.cancel != nil {
		m.cancel()
	}
	m.wg.Wait()
}

// Stats returns the counters so far.
func (m *Mapping) Stats() Stats {
	c := &m.stats
	return Stats{Invocations: c.invocations.Load(), Batches: c.batches.Load(),
		Records: c.records.Load(), Retries: c.retries.Load(), Bisects: c.bisects.Load(),
		Redeliveries: c.redeliveries.Load(), FailuresSent: c.failuresSent.Load(),
		RecordsFailed: c.recordsFailed.Load()}
}

// Add returns the sum of two Stats.
func (s Stats) Add(o Stats) Stats {
	return Stats{Invocations: s.Invocations + o.Invocations, Batches: s.Batches + o.Batches,
		Records: s.Records + o.Records, Retries: s.Retries + o.Retries,
		Bisects: s.Bisects + o.Bisects, Redeliveries: s.Redeliveries + o.Redeliveries,
		FailuresSent:  s.FailuresSent + o.FailuresSent,
		RecordsFailed: s.RecordsFailed + o.RecordsFailed}
}
