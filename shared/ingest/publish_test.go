package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/adpulse/adpulse/shared/event"
	"github.com/adpulse/adpulse/shared/ingest"
)

// flakyKinesis refuses each listed partition key a number of times, then takes it.
type flakyKinesis struct {
	refusals map[string]int
	calls    [][]string
	down     bool
}

func (f *flakyKinesis) PutRecords(_ context.Context, in *kinesis.PutRecordsInput,
	_ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	var keys []string
	out := &kinesis.PutRecordsOutput{}
	for _, r := range in.Records {
		key := aws.ToString(r.PartitionKey)
		keys = append(keys, key)
		res := types.PutRecordsResultEntry{SequenceNumber: aws.String("1")}
		if f.refusals[key] > 0 {
			f.refusals[key]--
			res = types.PutRecordsResultEntry{
				ErrorCode:    aws.String("ProvisionedThroughputExceededException"),
				ErrorMessage: aws.String("slow down"),
			}
		}
		out.Records = append(out.Records, res)
	}
	f.calls = append(f.calls, keys)
	if f.down {
		return nil, errors.New("connection refused")
	}
	return out, nil
}

func records(n int) []event.Packed {
	recs := make([]event.Packed, n)
	for i := range recs {
		recs[i] = event.Packed{PartitionKey: fmt.Sprintf("k%d", i), Data: []byte("{}")}
	}
	return recs
}

func TestPublisherRetriesOnlyFailedEntries(t *testing.T) {
	k := &flakyKinesis{refusals: map[string]int{"k1": 1, "k3": 2}}
	p := &ingest.Publisher{Client: k, Stream: "s", Attempts: 4, Backoff: time.Millisecond}
	errs := p.Publish(context.Background(), records(5))

	for i, err := range errs {
		if err != nil {
			t.Errorf("record %d: %v", i, err)
		}
	}
	want := [][]string{{"k0", "k1", "k2", "k3", "k4"}, {"k1", "k3"}, {"k3"}}
	if fmt.Sprint(k.calls) != fmt.Sprint(want) {
		t.Errorf("calls %v, want %v", k.calls, want)
	}
}

func TestPublisherGivesUpAfterAttempts(t *testing.T) {
	k := &flakyKinesis{refusals: map[string]int{"k0": 10}}
	p := &ingest.Publisher{Client: k, Stream: "s", Attempts: 3, Backoff: time.Millisecond}
	errs := p.Publish(context.Background(), records(2))
	if errs[0] == nil || errs[1] != nil {
		t.Errorf("errors %v, want only record 0 refused", errs)
	}
	if len(k.calls) != 3 {
		t.Errorf("%d calls, want 3 attempts", len(k.calls))
	}

	down := &flakyKinesis{down: true}
	p = &ingest.Publisher{Client: down, Stream: "s", Attempts: 2, Backoff: time.Millisecond}
	for i, err := range p.Publish(context.Background(), records(2)) {
		if err == nil {
			t.Errorf("record %d acknowledged while the stream was down", i)
		}
	}
}

func TestPublisherSplitsAt500Records(t *testing.T) {
	k := &flakyKinesis{}
	p := &ingest.Publisher{Client: k, Stream: "s", Attempts: 1, Backoff: time.Millisecond}
	p.Publish(context.Background(), records(1200))
	if len(k.calls) != 3 || len(k.calls[0]) != 500 || len(k.calls[2]) != 200 {
		t.Errorf("call sizes wrong: %d calls", len(k.calls))
	}
}
