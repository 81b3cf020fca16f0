package esm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kintypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/adpulse/adpulse/devstack/esm"
	"github.com/adpulse/adpulse/devstack/internal/kumotest"
	"github.com/adpulse/adpulse/devstack/kumo"
	"github.com/adpulse/adpulse/devstack/lambdarun"
	"github.com/adpulse/adpulse/devstack/template"
)

// TestMappingAgainstKumo runs the mapping on a real kumo stream, the echo function as a
// real bootstrap, and a real on-failure queue: every good record is processed, the
// poison record is isolated by bisection and described on the queue.
func TestMappingAgainstKumo(t *testing.T) {
	srv := kumotest.Start(t)
	ctx := context.Background()
	cfg := kumo.Config(srv.Endpoint())
	kin, q := kinesis.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	// A two-shard stream, an on-failure queue, the echo function.
	_, err := kin.CreateStream(ctx, &kinesis.CreateStreamInput{
		StreamName: aws.String("Events"), ShardCount: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	queue, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("Failures")})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "seen.txt")
	run := lambdarun.New(kumotest.Root(t), t.TempDir(), srv.Endpoint(), srv.Port(), log)
	t.Cleanup(func() { _ = run.Close() })
	fn := template.Function{Name: "Echo", Folder: "echo", Timeout: 5 * time.Second,
		MemoryMB: 128}
	err = run.Start(ctx, lambdarun.Spec{Function: fn, Package: "./devstack/testdata/echo",
		ExtraEnv: map[string]string{"ECHO_OUT": out}})
	if err != nil {
		t.Fatal(err)
	}

	// 3000 good records and one poison record, spread over both shards.
	const good = 3000
	putRecords(t, kin, good)
	// The SDK sends a PutRecords again when its answer is lost, so the stream may hold
	// the poison record more than once; each copy must be isolated and reported.
	poison := int64(countOnStream(t, kin, "crash"))

	m := esm.New(esm.Config{FunctionName: "Echo", StreamName: "Events",
		StreamARN: "arn:aws:kinesis:us-east-1:000000000000:stream/Events",
		BatchSize: 100, Bisect: true, MaxRetries: 1, MaxRecordAge: -1,
		ReportItemErrors: true, OnFailureURL: aws.ToString(queue.QueueUrl),
		PollInterval: 100 * time.Millisecond, RetryBackoff: time.Millisecond,
	}, kin, run, q, log)
	start := time.Now()
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for st := m.Stats(); st.Records+st.RecordsFailed < good+1; st = m.Stats() {
		if wctx.Err() != nil {
			t.Fatalf("records not delivered in time; stats %+v", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
	took := time.Since(start)
	if err := m.WaitIdle(wctx, 300*time.Millisecond); err != nil {
		t.Fatalf("%v; stats %+v", err, m.Stats())
	}
	st := m.Stats()
	t.Logf("%d records delivered in %v (%.0f records/s); stats %+v",
		good+1, took, float64(good+1)/took.Seconds(), st)

	// Delivery is at least once: how often good records travel again with a failing
	// neighbour depends on how the poller cut the batches, so only the floor is fixed.
	if st.Records < good || st.RecordsFailed != poison || st.FailuresSent != poison {
		t.Errorf("stats = %+v, want at least %d records, %d failed, %d sent", st, good,
			poison, poison)
	}
	seen, _ := os.ReadFile(out)
	if n := strings.Count(string(seen), "\n"); n < good {
		t.Errorf("function saw %d records, want at least %d", n, good)
	}
	checkFailureMessages(t, q, aws.ToString(queue.QueueUrl), poison)
}

// putRecords puts n good records and one "crash" record in the middle.
func putRecords(t *testing.T, kin *kinesis.Client, n int) {
	t.Helper()
	var entries []kintypes.PutRecordsRequestEntry
	for i := range n + 1 {
		data := fmt.Sprintf("ok-%d", i)
		if i == n/2 {
			data = "crash"
		}
		entries = append(entries, kintypes.PutRecordsRequestEntry{
			Data: []byte(data), PartitionKey: aws.String(fmt.Sprint("pk", i%50))})
	}
	for len(entries) > 0 {
		k := min(500, len(entries))
		out, err := kin.PutRecords(context.Background(), &kinesis.PutRecordsInput{
			StreamName: aws.String("Events"), Records: entries[:k]})
		if err != nil || aws.ToInt32(out.FailedRecordCount) > 0 {
			t.Fatalf("put records: %v", err)
		}
		entries = entries[k:]
	}
}

// countOnStream counts the records of the Events stream whose data is data.
func countOnStream(t *testing.T, kin *kinesis.Client, data string) int {
	t.Helper()
	ctx := context.Background()
	shards, err := kin.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("Events")})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, sh := range shards.Shards {
		it, err := kin.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{
			StreamName: aws.String("Events"), ShardId: sh.ShardId,
			ShardIteratorType: kintypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		for iter := it.ShardIterator; iter != nil; {
			out, err := kin.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range out.Records {
				if string(r.Data) == data {
					n++
				}
			}
			if len(out.Records) == 0 {
				break
			}
			iter = out.NextShardIterator
		}
	}
	if n == 0 {
		t.Fatalf("no %q record on the stream", data)
	}
	return n
}

// checkFailureMessages reads the want on-failure messages and checks their shape.
func checkFailureMessages(t *testing.T, q *sqs.Client, url string, want int64) {
	t.Helper()
	msgs, err := q.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil || int64(len(msgs.Messages)) != want {
		t.Fatalf("on-failure queue: %v, %d messages, want %d", err, len(msgs.Messages), want)
	}
	for _, m := range msgs.Messages {
		checkFailureMessage(t, aws.ToString(m.Body))
	}
}

// checkFailureMessage checks the shape of one on-failure message.
func checkFailureMessage(t *testing.T, body string) {
	t.Helper()
	var msg struct {
		RequestContext struct {
			Condition              string `json:"condition"`
			ApproximateInvokeCount int    `json:"approximateInvokeCount"`
		} `json:"requestContext"`
		ResponseContext struct {
			FunctionError string `json:"functionError"`
		} `json:"responseContext"`
		Version          string `json:"version"`
		KinesisBatchInfo struct {
			ShardID   string `json:"shardId"`
			BatchSize int    `json:"batchSize"`
			StreamARN string `json:"streamArn"`
		} `json:"KinesisBatchInfo"`
	}
	if err := json.Unmarshal([]byte(body), &msg); err != nil {
		t.Fatal(err)
	}
	if msg.RequestContext.Condition != "RetryAttemptsExhausted" ||
		msg.RequestContext.ApproximateInvokeCount != 2 ||
		msg.ResponseContext.FunctionError != "Unhandled" || msg.Version != "1.0" ||
		msg.KinesisBatchInfo.BatchSize != 1 ||
		!strings.HasPrefix(msg.KinesisBatchInfo.ShardID, "shardId-") ||
		msg.KinesisBatchInfo.StreamARN == "" {
		t.Errorf("on-failure message = %s", body)
	}
}
