package events_test

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/shared/event"
)

var aggregateCases = []struct {
	file           string
	wantRecords    int
	wantValid      int      // valid events, duplicates included
	wantDuplicates []string // event ids delivered in more than one record
	wantNotRecord  int      // records whose data is not a record envelope
	wantInvalid    []string // fields of invalid events inside good envelopes
}{
	{"batch.json", 5, 5, []string{"0b9f4c1e-7d2a-4c55-9a61-3e8f2d7b1a03"}, 0, nil},
	{"poison.json", 3, 1, nil, 1, []string{"cost_micros"}},
}

// shardPrefix is the start of eventID for records of the stream's first shard.
const shardPrefix = "shardId-000000000000:"

func TestAggregateSamples(t *testing.T) {
	for _, tc := range aggregateCases {
		t.Run(tc.file, func(t *testing.T) {
			var in events.KinesisEvent
			if _, err := decodeStrict(filepath.Join("aggregate", tc.file), &in); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if len(in.Records) != tc.wantRecords {
				t.Fatalf("got %d records, want %d", len(in.Records), tc.wantRecords)
			}

			var got kinesisContent
			seen := make(map[string]int)
			for i, rec := range in.Records {
				checkEnvelope(t, i, rec)
				got.add(t, rec, seen)
			}
			for id, n := range seen {
				if n > 1 {
					got.duplicates = append(got.duplicates, id)
				}
			}

			want := kinesisContent{valid: tc.wantValid, duplicates: tc.wantDuplicates,
				notRecord: tc.wantNotRecord, invalid: tc.wantInvalid}
			got.invalid = fields(got.invalid)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

// checkEnvelope checks the fields Lambda sets on every Kinesis record.
func checkEnvelope(t *testing.T, i int, rec events.KinesisEventRecord) {
	t.Helper()
	k := rec.Kinesis
	got := [5]string{rec.EventID, rec.EventName, rec.EventSource, rec.EventVersion,
		k.KinesisSchemaVersion}
	want := [5]string{shardPrefix + k.SequenceNumber, "aws:kinesis:record", "aws:kinesis",
		"1.0", "1.0"}
	if got != want {
		t.Errorf("record %d: got %q, want %q", i, got, want)
	}
	if !strings.HasPrefix(rec.EventSourceArn, "arn:aws:kinesis:"+rec.AwsRegion+":") ||
		!strings.HasPrefix(rec.InvokeIdentityArn, "arn:aws:iam::") {
		t.Errorf("record %d: got ARNs %q, %q", i, rec.EventSourceArn, rec.InvokeIdentityArn)
	}
	if k.ApproximateArrivalTimestamp.IsZero() || len(k.SequenceNumber) < 20 {
		t.Errorf("record %d: got arrival %v, sequence %q", i, k.ApproximateArrivalTimestamp,
			k.SequenceNumber)
	}
}

// kinesisContent is what the records of one sample carry.
type kinesisContent struct {
	valid      int
	duplicates []string
	notRecord  int
	invalid    []string
}

// add decodes one record's data as the aggregate function does.
func (c *kinesisContent) add(t *testing.T, rec events.KinesisEventRecord, seen map[string]int) {
	t.Helper()
	r, err := event.DecodeRecord(rec.Kinesis.Data)
	if err != nil {
		c.notRecord++
		return
	}
	for _, raw := range r.Events {
		id, campaign := ids(t, raw)
		want := event.PartitionKey(r.TenantID, campaign, id, partitionSalts)
		if rec.Kinesis.PartitionKey != want {
			t.Errorf("%s: got partition key %q, want %q", id, rec.Kinesis.PartitionKey, want)
		}
		if problem := decodeEvent(t, raw); problem != "" {
			c.invalid = append(c.invalid, problem)
			continue
		}
		c.valid++
		seen[id]++
	}
}
