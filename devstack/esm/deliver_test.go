package esm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/adpulse/adpulse/devstack/lambdarun"
)

// script answers invocation number call (0-based) of the records seqs.
type script func(call int, seqs []string) (payload, functionError string, err error)

// fakeInvoker records the sequence numbers of every invocation and answers by script.
type fakeInvoker struct {
	mu     sync.Mutex
	calls  [][]string
	script script
}

func (f *fakeInvoker) Invoke(_ context.Context, _ string, payload []byte) (
	lambdarun.Result, error) {
	var ev events.KinesisEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return lambdarun.Result{}, err
	}
	var seqs []string
	for _, r := range ev.Records {
		seqs = append(seqs, r.Kinesis.SequenceNumber)
	}
	f.mu.Lock()
	call := len(f.calls)
	f.calls = append(f.calls, seqs)
	f.mu.Unlock()
	out, fnErr, err := f.script(call, seqs)
	return lambdarun.Result{Payload: []byte(out), FunctionError: fnErr}, err
}

// fakeSender captures on-failure messages.
type fakeSender struct{ msgs []failureMessage }

func (f *fakeSender) SendMessage(_ context.Context, in *sqs.SendMessageInput,
	_ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	var m failureMessage
	if err := json.Unmarshal([]byte(aws.ToString(in.MessageBody)), &m); err != nil {
		return nil, err
	}
	f.msgs = append(f.msgs, m)
	return &sqs.SendMessageOutput{}, nil
}

// records returns n records with sequence numbers "1".."n", arrived age ago.
func records(n int, age time.Duration) []Record {
	recs := make([]Record, n)
	for i := range recs {
		recs[i] = Record{SequenceNumber: fmt.Sprint(i + 1), PartitionKey: "pk",
			Data: []byte("d"), Arrival: time.Now().Add(-age)}
	}
	return recs
}

// failing returns a response failing the given sequence numbers.
func failing(seqs ...string) string {
	var resp events.KinesisEventResponse
	for _, s := range seqs {
		resp.BatchItemFailures = append(resp.BatchItemFailures,
			events.KinesisBatchItemFailure{ItemIdentifier: s})
	}
	b, _ := json.Marshal(resp)
	return string(b)
}

// crashOn fails every invocation that contains sequence number poison.
func crashOn(poison string) script {
	return func(_ int, seqs []string) (string, string, error) {
		for _, s := range seqs {
			if s == poison {
				return `{"errorMessage":"boom"}`, "Unhandled", nil
			}
		}
		return "null", "", nil
	}
}

func TestDeliver(t *testing.T) {
	tests := []struct {
		name      string
		cfg       Config
		recs      []Record
		script    script
		wantCalls string // invocations, "|"-separated, records ","-separated
		want      Stats
		wantMsgs  []string // condition/invokes/first-last/size of each on-failure message
	}{{
		name: "success", recs: records(3, 0),
		script:    func(int, []string) (string, string, error) { return `{}`, "", nil },
		wantCalls: "1,2,3", want: Stats{Invocations: 1, Batches: 1, Records: 3},
	}, {
		name: "null and empty list are success", recs: records(2, 0),
		script: func(call int, _ []string) (string, string, error) {
			return `{"batchItemFailures":null}`, "", nil
		},
		wantCalls: "1,2", want: Stats{Invocations: 1, Batches: 1, Records: 2},
	}, {
		name: "partial failure resumes at the lowest failed record", recs: records(5, 0),
		script: func(call int, _ []string) (string, string, error) {
			if call == 0 {
				return failing("4", "3"), "", nil
			}
			return `{"batchItemFailures":[]}`, "", nil
		},
		wantCalls: "1,2,3,4,5|3,4,5",
		want:      Stats{Invocations: 2, Batches: 1, Records: 5, Retries: 1},
	}, {
		name: "unknown itemIdentifier fails the whole batch", recs: records(2, 0),
		script: func(call int, _ []string) (string, string, error) {
			if call == 0 {
				return failing("99"), "", nil
			}
			return "null", "", nil
		},
		wantCalls: "1,2|1,2", want: Stats{Invocations: 2, Batches: 1, Records: 2, Retries: 1},
	}, {
		name: "empty itemIdentifier fails the whole batch", recs: records(2, 0),
		script: func(call int, _ []string) (string, string, error) {
			if call == 0 {
				return `{"batchItemFailures":[{"itemIdentifier":""}]}`, "", nil
			}
			return "null", "", nil
		},
		wantCalls: "1,2|1,2", want: Stats{Invocations: 2, Batches: 1, Records: 2, Retries: 1},
	}, {
		name: "item failures ignored without ReportBatchItemFailures",
		cfg:  Config{ReportItemErrors: false}, recs: records(2, 0),
		script:    func(int, []string) (string, string, error) { return failing("1"), "", nil },
		wantCalls: "1,2", want: Stats{Invocations: 1, Batches: 1, Records: 2},
	}, {
		name: "function error retried then given up", cfg: Config{MaxRetries: 2},
		recs: records(3, 0), script: crashOn("2"),
		wantCalls: "1,2,3|1,2,3|1,2,3",
		want:      Stats{Invocations: 3, Retries: 2, FailuresSent: 1, RecordsFailed: 3},
		wantMsgs:  []string{"RetryAttemptsExhausted/3/1-3/3"},
	}, {
		name: "invoke error counts as function error", cfg: Config{MaxRetries: 0},
		recs: records(1, 0),
		script: func(int, []string) (string, string, error) {
			return "", "", errors.New("connection refused")
		},
		wantCalls: "1", want: Stats{Invocations: 1, FailuresSent: 1, RecordsFailed: 1},
		wantMsgs: []string{"RetryAttemptsExhausted/1/1-1/1"},
	}, {
		name: "bisect isolates the poison record", cfg: Config{MaxRetries: 1, Bisect: true},
		recs: records(4, 0), script: crashOn("3"),
		wantCalls: "1,2,3,4|1,2|3,4|3|3|4",
		want: Stats{Invocations: 6, Batches: 2, Records: 3, Retries: 1, Bisects: 2,
			FailuresSent: 1, RecordsFailed: 1},
		wantMsgs: []string{"RetryAttemptsExhausted/2/3-3/1"},
	}, {
		name: "records past the maximum age are dropped", cfg: Config{MaxRecordAge: time.Minute},
		recs:      append(records(2, time.Hour), records(1, 0)[0]),
		script:    func(int, []string) (string, string, error) { return "", "", nil },
		wantCalls: "1", want: Stats{Invocations: 1, Batches: 1, Records: 1, FailuresSent: 1,
			RecordsFailed: 2},
		wantMsgs: []string{"RecordAgeExceeded/0/1-2/2"},
	}, {
		name: "redeliver invokes every batch twice", cfg: Config{Redeliver: true},
		recs: records(2, 0),
		script: func(call int, _ []string) (string, string, error) {
			return "null", "", nil
		},
		wantCalls: "1,2|1,2",
		want:      Stats{Invocations: 2, Batches: 1, Records: 2, Redeliveries: 1},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			if cfg.MaxRetries == 0 && !strings.Contains(tc.name, "invoke error") {
				cfg.MaxRetries = -1
			}
			if cfg.MaxRecordAge == 0 {
				cfg.MaxRecordAge = -1
			}
			if !strings.Contains(tc.name, "without") {
				cfg.ReportItemErrors = true
			}
			cfg.OnFailureURL, cfg.RetryBackoff = "http://q", time.Microsecond
			inv, snd := &fakeInvoker{script: tc.script}, &fakeSender{}
			m := New(cfg, nil, inv, snd, slog.New(slog.NewTextHandler(io.Discard, nil)))

			m.deliver(context.Background(), "shardId-000000000000", tc.recs)

			var calls []string
			for _, c := range inv.calls {
				calls = append(calls, strings.Join(c, ","))
			}
			if got := strings.Join(calls, "|"); got != tc.wantCalls {
				t.Errorf("invocations = %s, want %s", got, tc.wantCalls)
			}
			if got := m.Stats(); got != tc.want {
				t.Errorf("stats = %+v, want %+v", got, tc.want)
			}
			var msgs []string
			for _, m := range snd.msgs {
				b := m.KinesisBatchInfo
				msgs = append(msgs, fmt.Sprintf("%s/%d/%s-%s/%d", m.RequestContext.Condition,
					m.RequestContext.ApproximateInvokeCount, b.StartSequenceNumber,
					b.EndSequenceNumber, b.BatchSize))
			}
			if fmt.Sprint(msgs) != fmt.Sprint(tc.wantMsgs) {
				t.Errorf("on-failure messages = %v, want %v", msgs, tc.wantMsgs)
			}
		})
	}
}
