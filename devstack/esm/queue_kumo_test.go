package esm_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/adpulse/adpulse/devstack/esm"
	"github.com/adpulse/adpulse/devstack/internal/kumotest"
	"github.com/adpulse/adpulse/devstack/kumo"
	"github.com/adpulse/adpulse/devstack/lambdarun"
	"github.com/adpulse/adpulse/devstack/template"
)

// TestQueueMappingAgainstKumo runs the SQS mapping on a real kumo queue with a redrive
// policy and the sqsecho function as a real bootstrap: good messages are delivered once
// and deleted, only reported failures come back, a failure keeps its visibility timeout,
// one whose visibility the function set to 0 comes back at once, an invalid response or
// a crash keeps the whole batch, and after maxReceiveCount receives SQS moves the message
// to the dead-letter queue.
func TestQueueMappingAgainstKumo(t *testing.T) {
	srv := kumotest.Start(t)
	ctx := context.Background()
	q := sqs.NewFromConfig(kumo.Config(srv.Endpoint()))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	// Work queue: visibility 2 s, DLQ after 3 receives.
	dlq := createQueue(t, q, "WorkDLQ", nil)
	dlqARN := "arn:aws:sqs:us-east-1:000000000000:WorkDLQ"
	work := createQueue(t, q, "Work", map[string]string{
		"VisibilityTimeout": "2",
		"RedrivePolicy":     `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":3}`,
	})

	out := filepath.Join(t.TempDir(), "seen.txt")
	run := lambdarun.New(kumotest.Root(t), t.TempDir(), srv.Endpoint(), srv.Port(), log)
	t.Cleanup(func() { _ = run.Close() })
	fn := template.Function{Name: "SQSEcho", Folder: "sqsecho", Timeout: 5 * time.Second,
		MemoryMB: 128}
	err := run.Start(ctx, lambdarun.Spec{Function: fn, Package: "./devstack/testdata/sqsecho",
		Instances: 2, ExtraEnv: map[string]string{"ECHO_OUT": out, "QUEUE_URL": work}})
	if err != nil {
		t.Fatal(err)
	}

	m := esm.NewQueue(esm.QueueConfig{FunctionName: "SQSEcho", QueueURL: work,
		QueueARN: "arn:aws:sqs:us-east-1:000000000000:Work", BatchSize: 10,
		Window: 500 * time.Millisecond, ReportItemErrors: true, MaxConcurrency: 2,
	}, q, run, log)
	m.Start(ctx)
	t.Cleanup(m.Close)

	// Phase 1: 20 good messages and two reported failures. Only the failures come back.
	send(t, q, work, "fail", "fast")
	for i := range 20 {
		send(t, q, work, "ok-"+strconv.Itoa(i))
	}
	waitDLQ(t, q, dlq, m, "fail", "fast")
	seen := readSeen(t, out)
	for i := range 20 {
		if n := len(seen["ok-"+strconv.Itoa(i)]); n != 1 {
			t.Errorf("ok-%d seen %d times, want once", i, n)
		}
	}
	for _, b := range []string{"fail", "fast"} {
		if got := seen[b]; len(got) != 3 || got[0].count != "1" || got[2].count != "3" {
			t.Fatalf("%s: receives %+v, want counts 1, 2, 3", b, got)
		}
	}
	// "fail" waited for its visibility timeout; "fast" came back at once.
	if gap := seen["fail"][1].at.Sub(seen["fail"][0].at); gap < 1500*time.Millisecond {
		t.Errorf("fail came back after %v, before its 2 s visibility timeout", gap)
	}
	if gap := seen["fast"][2].at.Sub(seen["fast"][0].at); gap > 1500*time.Millisecond {
		t.Errorf("fast took %v for 3 receives despite visibility 0", gap)
	}
	if st := m.Stats(); st.Deleted != 20 || st.ItemFailures != 6 || st.BatchFailures != 0 {
		t.Errorf("stats %+v: want 20 deleted, 6 item failures, no batch failure", st)
	}
	batched := false
	for _, rs := range seen {
		batched = batched || rs[0].size > 1
		if rs[0].size > 10 {
			t.Errorf("batch of %d messages, batch size 10", rs[0].size)
		}
	}
	if !batched {
		t.Error("every batch held one message: the batching window gathered nothing")
	}

	// Phase 2: a crash and an unknown item identifier fail their whole batch.
	send(t, q, work, "crash", "badid")
	waitDLQ(t, q, dlq, m, "crash", "badid")
	if st := m.Stats(); st.Deleted != 20 || st.BatchFailures < 3 {
		t.Errorf("stats %+v: want still 20 deleted, at least 3 batch failures", st)
	}
	t.Logf("stats %+v", m.Stats())
}

func send(t *testing.T, q *sqs.Client, url string, bodies ...string) {
	t.Helper()
	for _, b := range bodies {
		if _, err := q.SendMessage(context.Background(), &sqs.SendMessageInput{
			QueueUrl: aws.String(url), MessageBody: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
}

// waitDLQ waits until exactly the bodies want are on the dead-letter queue.
func waitDLQ(t *testing.T, q *sqs.Client, dlq string, m *esm.QueueMapping, want ...string) {
	t.Helper()
	var got []string
	for deadline := time.Now().Add(20 * time.Second); len(got) < len(want) &&
		time.Now().Before(deadline); {
		got = append(got, dlqBodies(t, q, dlq)...)
		time.Sleep(100 * time.Millisecond)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("dead-letter queue holds %v, want %v; stats %+v", got, want, m.Stats())
	}
}

func createQueue(t *testing.T, q *sqs.Client, name string, attrs map[string]string) string {
	t.Helper()
	out, err := q.CreateQueue(context.Background(), &sqs.CreateQueueInput{
		QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.QueueUrl)
}

// dlqBodies receives the bodies on the dead-letter queue, hiding them for 5 minutes.
func dlqBodies(t *testing.T, q *sqs.Client, url string) []string {
	t.Helper()
	out, err := q.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(url), MaxNumberOfMessages: 10, VisibilityTimeout: 300})
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, m := range out.Messages {
		bodies = append(bodies, aws.ToString(m.Body))
	}
	return bodies
}

// receipt is one message as the function saw it.
type receipt struct {
	size  int
	count string
	at    time.Time
}

// readSeen reads sqsecho's log by body, in the order the function saw the messages.
func readSeen(t *testing.T, path string) map[string][]receipt {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]receipt{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Fields(line)
		if len(f) != 5 {
			t.Fatalf("bad line %q", line)
		}
		size, _ := strconv.Atoi(f[0])
		ns, _ := strconv.ParseInt(f[4], 10, 64)
		out[f[3]] = append(out[f[3]], receipt{size: size, count: f[2], at: time.Unix(0, ns)})
	}
	return out
}
