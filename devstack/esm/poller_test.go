package esm

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kintypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// fakeKinesis is one shard of n records whose iterators are positions. Every third
// GetRecords fails with kumo's "Invalid shard iterator" after using the iterator up.
type fakeKinesis struct {
	mu       sync.Mutex
	n, calls int
	types    []string
}

func (f *fakeKinesis) ListShards(context.Context, *kinesis.ListShardsInput,
	...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error) {
	return &kinesis.ListShardsOutput{Shards: []kintypes.Shard{
		{ShardId: aws.String("shardId-000000000000")}}}, nil
}

func (f *fakeKinesis) GetShardIterator(_ context.Context, in *kinesis.GetShardIteratorInput,
	_ ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.types = append(f.types, string(in.ShardIteratorType))
	pos := 0
	if in.ShardIteratorType == kintypes.ShardIteratorTypeAfterSequenceNumber {
		pos, _ = strconv.Atoi(aws.ToString(in.StartingSequenceNumber))
	}
	return &kinesis.GetShardIteratorOutput{ShardIterator: aws.String(fmt.Sprint(pos))}, nil
}

func (f *fakeKinesis) GetRecords(_ context.Context, in *kinesis.GetRecordsInput,
	_ ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls%3 == 0 {
		msg := aws.String("Invalid shard iterator")
		return nil, &kintypes.InvalidArgumentException{Message: msg}
	}
	pos, _ := strconv.Atoi(aws.ToString(in.ShardIterator))
	end := min(pos+7, f.n) // short reads, so the poller sees itself behind
	out := &kinesis.GetRecordsOutput{NextShardIterator: aws.String(fmt.Sprint(end))}
	for i := pos; i < end; i++ {
		out.Records = append(out.Records, kintypes.Record{
			SequenceNumber: aws.String(fmt.Sprint(i + 1)), PartitionKey: aws.String("k"),
			Data: []byte("d"), ApproximateArrivalTimestamp: aws.Time(time.Now())})
	}
	return out, nil
}

// TestPollerRecoversUsedIterators reads a shard whose iterators fail now and then, and
// checks that every record is delivered once, in order.
func TestPollerRecoversUsedIterators(t *testing.T) {
	kin := &fakeKinesis{n: 50}
	inv := &fakeInvoker{script: func(int, []string) (string, string, error) {
		return "null", "", nil
	}}
	m := New(Config{StreamName: "s", BatchSize: 10, MaxRetries: -1, MaxRecordAge: -1,
		PollInterval: 5 * time.Millisecond}, kin, inv, nil,
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.WaitIdle(ctx, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, c := range inv.calls {
		seen = append(seen, c...)
	}
	for i, s := range seen {
		if s != fmt.Sprint(i+1) {
			t.Fatalf("record %d delivered as %s; all: %v", i+1, s, seen)
		}
	}
	if len(seen) != 50 {
		t.Errorf("delivered %d records, want 50", len(seen))
	}
	if len(kin.types) < 2 || kin.types[1] != "AFTER_SEQUENCE_NUMBER" {
		t.Errorf("iterator types = %v, want a fresh AFTER_SEQUENCE_NUMBER after a failure",
			kin.types)
	}
}
