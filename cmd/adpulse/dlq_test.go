package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kinesistypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/adpulse/adpulse/shared/aggregate"
	"github.com/adpulse/adpulse/shared/kumotest"
)

// newQueue creates queue name on the emulator and returns its URL.
func newQueue(t *testing.T, q *sqs.Client, name string) string {
	t.Helper()
	res, err := q.CreateQueue(context.Background(), &sqs.CreateQueueInput{
		QueueName: aws.String(name)})
	if err != nil {
		t.Fatalf("create queue %s: %v", name, err)
	}
	return aws.ToString(res.QueueUrl)
}

// drain receives every visible message of url and returns the bodies, sorted.
func drain(t *testing.T, q *sqs.Client, url string) []string {
	t.Helper()
	var bodies []string
	for {
		res, err := q.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: 10, VisibilityTimeout: 60})
		if err != nil {
			t.Fatalf("receive %s: %v", url, err)
		}
		if len(res.Messages) == 0 {
			sort.Strings(bodies)
			return bodies
		}
		for _, m := range res.Messages {
			bodies = append(bodies, aws.ToString(m.Body))
		}
	}
}

func TestDLQReplayToQueue(t *testing.T) {
	cfg := kumotest.Start(t)
	loadConfig = func(context.Context) (aws.Config, error) { return cfg, nil }
	q := sqs.NewFromConfig(cfg)
	ctx := context.Background()
	dlq, source := newQueue(t, q, "replay-dlq"), newQueue(t, q, "replay-source")
	for i := range 5 {
		if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(dlq),
			MessageBody: aws.String(fmt.Sprintf("m%d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	replay := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, append([]string{"dlq", "replay"}, args...), nil, &out)
		return out.String(), err
	}

	// GIVEN a destination that does not exist WHEN replaying THEN an error, and every
	// message is still in the DLQ, visible at once.
	if _, err := replay("--from", dlq, "--to", dlq+"-missing"); err == nil {
		t.Fatal("replay to a missing queue: got nil error")
	}

	// GIVEN 5 messages WHEN replaying with --max 3 THEN 3 move, 2 stay.
	if out, err := replay("--from", dlq, "--to", source, "--max", "3"); err != nil ||
		out != fmt.Sprintf("moved 3, left 0 that cannot go to %s\n", source) {
		t.Fatalf("replay --max 3: %q %v", out, err)
	}
	moved, left := drain(t, q, source), drain(t, q, dlq)
	if len(moved) != 3 || len(left) != 2 {
		t.Fatalf("after --max 3: moved %q, left %q", moved, left)
	}
	all := append(moved, left...)
	sort.Strings(all)
	if fmt.Sprint(all) != "[m0 m1 m2 m3 m4]" {
		t.Errorf("messages lost or changed: %q", all)
	}

	for _, args := range [][]string{{"--from", dlq}, {"--to", source},
		{"--from", dlq, "--to", source, "--max", "0"}} {
		if _, err := replay(args...); err == nil {
			t.Errorf("%q: got nil error", args)
		}
	}
}

func TestDLQReplayToStream(t *testing.T) {
	cfg := kumotest.Start(t)
	loadConfig = func(context.Context) (aws.Config, error) { return cfg, nil }
	q, k := sqs.NewFromConfig(cfg), kinesis.NewFromConfig(cfg)
	ctx := context.Background()
	dlq := newQueue(t, q, "failures")
	if _, err := k.CreateStream(ctx, &kinesis.CreateStreamInput{
		StreamName: aws.String("events"), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	waitActive(t, k, "events")

	// GIVEN a parked record and a batch description in the failure queue
	parked, _ := json.Marshal(aggregate.Parked{Kind: "poison-record", TenantID: "t_demo",
		SequenceNumber: "42", Data: []byte(`{"v":1}`)})
	for _, body := range []string{string(parked), `{"requestContext":{}}`} {
		if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(dlq),
			MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}

	// WHEN replaying to the stream THEN the record data is put back, the description stays.
	var out bytes.Buffer
	if err := run(ctx, []string{"dlq", "replay", "--from", dlq, "--to", "events"}, nil,
		&out); err != nil || out.String() != "moved 1, left 1 that cannot go to events\n" {
		t.Fatalf("replay: %q %v", out.String(), err)
	}
	if got := streamData(t, k, "events"); fmt.Sprint(got) != `[{"v":1}]` {
		t.Errorf("stream records: got %q", got)
	}
}

// waitActive waits until stream is ACTIVE.
func waitActive(t *testing.T, k *kinesis.Client, stream string) {
	t.Helper()
	for range 50 {
		d, err := k.DescribeStreamSummary(context.Background(),
			&kinesis.DescribeStreamSummaryInput{StreamName: aws.String(stream)})
		if err == nil && d.StreamDescriptionSummary.StreamStatus ==
			kinesistypes.StreamStatusActive {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("stream %s never became active", stream)
}

// streamData returns the data of every record in the first shard of stream.
func streamData(t *testing.T, k *kinesis.Client, stream string) []string {
	t.Helper()
	ctx := context.Background()
	shards, err := k.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if err != nil || len(shards.Shards) == 0 {
		t.Fatalf("list shards: %v", err)
	}
	it, err := k.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{
		StreamName: aws.String(stream), ShardId: shards.Shards[0].ShardId,
		ShardIteratorType: kinesistypes.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatalf("shard iterator: %v", err)
	}
	res, err := k.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil {
		t.Fatalf("get records: %v", err)
	}
	var data []string
	for _, r := range res.Records {
		data = append(data, string(r.Data))
	}
	return data
}
