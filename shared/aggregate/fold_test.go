package aggregate

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/adpulse/adpulse/shared/event"
)

// benchBatch builds a Kinesis batch of packed records from n events of 5 campaigns and 7
// ads spread over the last 5 minutes, as live traffic arrives.
func benchBatch(b *testing.B, n int) events.KinesisEvent {
	return benchBatchWith(b, n, event.CodecS2)
}

// benchBatchWith is benchBatch with the records' encoding chosen.
func benchBatchWith(b *testing.B, n int, codec event.Codec) events.KinesisEvent {
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	evs := make([]event.Event, n)
	for i := range evs {
		evs[i] = event.Event{EventID: fmt.Sprintf("e-%d", i), Type: event.Impression,
			CampaignID: fmt.Sprintf("c-%d", i%5), AdID: fmt.Sprintf("a-%d", i%7),
			UserID: "u", OccurredAt: at.Add(time.Duration(i%300) * time.Second),
			CostMicros: 1000, Currency: "USD"}
	}
	packed, err := event.PackWith("t", evs, 4, at, codec)
	if err != nil {
		b.Fatal(err)
	}
	var in events.KinesisEvent
	for i, p := range packed {
		seq := fmt.Sprintf("4959%052d", i)
		in.Records = append(in.Records, events.KinesisEventRecord{
			EventID: "shardId-000000000000:" + seq,
			Kinesis: events.KinesisRecord{Data: p.Data, SequenceNumber: seq}})
	}
	return in
}

// BenchmarkParseAndFold measures decoding a batch and folding it into rollup rows, the
// aggregate function's CPU work per batch (DynamoDB calls excluded), for S2-compressed
// records and for the uncompressed records of older producers.
func BenchmarkParseAndFold(b *testing.B) {
	for _, c := range []struct {
		name  string
		codec event.Codec
	}{{"s2", event.CodecS2}, {"json", event.CodecJSON}} {
		b.Run(c.name, func(b *testing.B) { benchParseAndFold(b, c.codec) })
	}
}

func benchParseAndFold(b *testing.B, codec event.Codec) {
	const n = 5000
	in := benchBatchWith(b, n, codec)
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	b.ResetTimer()
	var rows int
	for b.Loop() {
		bt := parseBatch(in, now)
		claimed := make([]bool, len(bt.items))
		for i := range claimed {
			claimed[i] = true
		}
		rows = len(fold(bt.items, claimed, "", now, time.Hour))
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(rows), "rows/batch")
}

func TestSeqOrder(t *testing.T) {
	cases := []struct {
		a, b string
		less bool
	}{
		{"9", "10", true},
		{"10", "9", false},
		{"49590338271490256608559692538361571095921575989136588898",
			"49590338271490256608559692538361571095921575989136588899", true},
		{"0009", "10", true},
		{"5", "5", false},
	}
	for _, tc := range cases {
		if got := seqLess(tc.a, tc.b); got != tc.less {
			t.Errorf("seqLess(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.less)
		}
		if got := padSeq(tc.a) < padSeq(tc.b); got != tc.less {
			t.Errorf("padded %s < %s = %v, want %v", tc.a, tc.b, got, tc.less)
		}
	}
}

// nopDB answers every call at once: an empty log, every write accepted.
type nopDB struct{ DynamoAPI }

func (nopDB) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (
	*dynamodb.QueryOutput, error) {
	return &dynamodb.QueryOutput{}, nil
}

func (nopDB) PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (
	*dynamodb.PutItemOutput, error) {
	return &dynamodb.PutItemOutput{}, nil
}

func (nopDB) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (
	*dynamodb.GetItemOutput, error) {
	return &dynamodb.GetItemOutput{}, nil
}

// BenchmarkDedup measures the de-duplication log's CPU work per batch: fingerprints,
// lookups in the cached log, and encoding the new entries (DynamoDB answers at once). Each
// round is a new execution environment, so every event is new and logged.
func BenchmarkDedup(b *testing.B) {
	const n = 5000
	in := benchBatch(b, n)
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	bt := parseBatch(in, now)
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	b.ReportAllocs()
	b.ResetTimer()
	var writes int
	for b.Loop() {
		h := &Handler{DB: nopDB{}, Workers: 1, Now: func() time.Time { return now }, Log: log}
		_, _, writes, _ = h.dedupAll(context.Background(), "", bt.items)
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(writes), "log-writes/batch")
}
