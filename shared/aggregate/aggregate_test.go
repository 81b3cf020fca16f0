package aggregate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/adpulse/adpulse/shared/aggregate"
	"github.com/adpulse/adpulse/shared/event"
	"github.com/adpulse/adpulse/shared/kumotest"
	"github.com/adpulse/adpulse/shared/totals"
)

const tenant = "t_test"

var base = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)

// env is one emulator with fresh tables and a queue per test.
type env struct {
	db       *dynamodb.Client
	sqs      *sqs.Client
	handler  *aggregate.Handler
	reader   *totals.Reader
	queueURL string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	cfg := kumotest.Start(t)
	ctx := context.Background()
	e := &env{db: dynamodb.NewFromConfig(cfg), sqs: sqs.NewFromConfig(cfg)}

	kumotest.CreateTable(t, e.db, "Aggregates", "pk", "sk")
	kumotest.CreateTable(t, e.db, "EventClaims", "pk", "sk")
	q, err := e.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("failures")})
	if err != nil {
		t.Fatalf("create queue: %v", err)
	}
	e.queueURL = aws.ToString(q.QueueUrl)

	e.handler = e.newHandler()
	e.reader = &totals.Reader{DB: e.db, Table: "Aggregates"}
	return e
}

// newHandler is an aggregate function in an execution environment of its own: it shares
// the tables with every other but none of their caches.
func (e *env) newHandler() *aggregate.Handler {
	return &aggregate.Handler{
		DB: e.db, Queue: e.sqs, AggregatesTable: "Aggregates", ClaimsTable: "EventClaims",
		FailureQueueURL: e.queueURL, DedupWindow: time.Hour, MinuteRetention: time.Hour,
		Workers: 8, Now: func() time.Time { return base.Add(time.Hour) },
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}
}

// stream hands out Kinesis records with growing sequence numbers, as one shard would.
type stream struct {
	shard string
	next  *big.Int
	arn   string // the stream's ARN, set on every record
}

func newStream() *stream {
	n, _ := new(big.Int).SetString("49590338271490256608559692538361571095921575989136588898", 10)
	return &stream{shard: "shardId-000000000000", next: n}
}

func (s *stream) record(data []byte) events.KinesisEventRecord {
	seq := s.next.String()
	s.next.Add(s.next, big.NewInt(1000))
	return events.KinesisEventRecord{
		EventID: s.shard + ":" + seq, EventName: "aws:kinesis:record", EventSourceArn: s.arn,
		EventSource: "aws:kinesis", EventVersion: "1.0", AwsRegion: "us-east-1",
		Kinesis: events.KinesisRecord{
			Data: data, SequenceNumber: seq, PartitionKey: "pk", KinesisSchemaVersion: "1.0",
			ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: base},
		},
	}
}

// pack turns events into Kinesis records, several events per record, as the ingest
// function writes them now (S2-compressed).
func (s *stream) pack(t *testing.T, evs []event.Event) []events.KinesisEventRecord {
	t.Helper()
	return s.packWith(t, evs, event.CodecS2)
}

// packWith is pack with the records' encoding chosen: event.CodecJSON writes them as
// producers did before compression.
func (s *stream) packWith(t *testing.T, evs []event.Event,
	codec event.Codec) []events.KinesisEventRecord {
	t.Helper()
	packed, err := event.PackWith(tenant, evs, 4, base, codec)
	if err != nil {
		t.Fatalf("pack: %v", err)
	}
	var out []events.KinesisEventRecord
	for _, p := range packed {
		out = append(out, s.record(p.Data))
	}
	return out
}

func impression(id, campaign, ad string, cost int64, at time.Time) event.Event {
	return event.Event{EventID: id, Type: event.Impression, CampaignID: campaign, AdID: ad,
		UserID: "u-" + id, OccurredAt: at, CostMicros: cost, Currency: "USD"}
}

func click(id, campaign, ad string, at time.Time) event.Event {
	return event.Event{EventID: id, Type: event.Click, CampaignID: campaign, AdID: ad,
		UserID: "u-" + id, OccurredAt: at}
}

// traffic makes n impressions (each costing 1,000 micros more than the last) and a click
// for every fifth, spread over three minutes and two ads of one campaign.
func traffic(n int) []event.Event {
	var evs []event.Event
	for i := 0; i < n; i++ {
		at := base.Add(time.Duration(i%3) * time.Minute)
		ad := fmt.Sprintf("ad-%d", i%2)
		evs = append(evs, impression(fmt.Sprintf("imp-%d", i), "camp-1", ad, int64(i+1)*1000, at))
		if i%5 == 0 {
			evs = append(evs, click(fmt.Sprintf("clk-%d", i), "camp-1", ad, at))
		}
	}
	return evs
}

// want computes the totals of distinct events directly.
func want(evs []event.Event) totals.Counters {
	var c totals.Counters
	seen := map[string]bool{}
	for i := range evs {
		if !seen[evs[i].EventID] {
			seen[evs[i].EventID] = true
			c.AddEvent(&evs[i])
		}
	}
	return c
}

func (e *env) handle(t *testing.T, recs []events.KinesisEventRecord) events.KinesisEventResponse {
	t.Helper()
	resp, err := e.handler.Handle(context.Background(), events.KinesisEvent{Records: recs})
	if err != nil {
		t.Fatalf("handle: %v", err)
	}
	return resp
}

func (e *env) campaign(t *testing.T, id string) totals.Campaign {
	t.Helper()
	c, err := e.reader.Campaign(context.Background(), tenant, id)
	if err != nil {
		t.Fatalf("read totals: %v", err)
	}
	return c
}

func assertCounters(t *testing.T, what string, got, want totals.Counters) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("%s:\n got  %s\n want %s", what, g, w)
	}
}

// flakyDB fails chosen calls once, to stand in for throttling or a crash mid-batch.
type flakyDB struct {
	aggregate.DynamoAPI
	mu        sync.Mutex
	failSK    map[string]bool // UpdateItem on these sort keys fails once
	failClaim map[string]bool // PutItem on these partition keys fails once
	failQuery map[string]bool // Query of these partition keys fails once
}

// logKey is the partition key of the test shard's de-duplication log for t's minute.
func logKey(t time.Time) string {
	return fmt.Sprintf("log#shardId-000000000000#%d", t.Unix()/60)
}

func (f *flakyDB) Query(ctx context.Context, in *dynamodb.QueryInput,
	opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	pk := in.ExpressionAttributeValues[":pk"].(*types.AttributeValueMemberS).Value
	f.mu.Lock()
	fail := f.failQuery[pk]
	delete(f.failQuery, pk)
	f.mu.Unlock()
	if fail {
		return nil, fmt.Errorf("injected throttling on query %s", pk)
	}
	return f.DynamoAPI.Query(ctx, in, opts...)
}

func (f *flakyDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput,
	opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	sk := in.Key["sk"].(*types.AttributeValueMemberS).Value
	f.mu.Lock()
	fail := f.failSK[sk]
	delete(f.failSK, sk)
	f.mu.Unlock()
	if fail {
		return nil, fmt.Errorf("injected throttling on %s", sk)
	}
	return f.DynamoAPI.UpdateItem(ctx, in, opts...)
}

func (f *flakyDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput,
	opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	pk := in.Item["pk"].(*types.AttributeValueMemberS).Value
	f.mu.Lock()
	fail := f.failClaim[pk]
	delete(f.failClaim, pk)
	f.mu.Unlock()
	if fail {
		return nil, fmt.Errorf("injected throttling on put %s", pk)
	}
	return f.DynamoAPI.PutItem(ctx, in, opts...)
}
