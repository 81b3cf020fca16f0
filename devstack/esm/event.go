package esm

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Record is one Kinesis record as read from the shard.
type Record struct {
	SequenceNumber string
	PartitionKey   string
	Data           []byte
	Arrival        time.Time
}

// size estimates the bytes record r adds to an invocation payload: base64 data plus
// the fixed fields of a KinesisEventRecord.
func (r Record) size() int { return (len(r.Data)+2)/3*4 + 600 }

// kinesisEvent builds the KinesisEvent Lambda would send for recs read from shardID.
func (m *Mapping) kinesisEvent(shardID string, recs []Record) events.KinesisEvent {
	ev := events.KinesisEvent{Records: make([]events.KinesisEventRecord, len(recs))}
	for i, r := range recs {
		ev.Records[i] = events.KinesisEventRecord{
			AwsRegion:         m.cfg.Region,
			EventID:           shardID + ":" + r.SequenceNumber,
			EventName:         "aws:kinesis:record",
			EventSource:       "aws:kinesis",
			EventSourceArn:    m.cfg.StreamARN,
			EventVersion:      "1.0",
			InvokeIdentityArn: m.cfg.RoleARN,
			Kinesis: events.KinesisRecord{
				ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: r.Arrival},
				Data:                        r.Data,
				PartitionKey:                r.PartitionKey,
				SequenceNumber:              r.SequenceNumber,
				KinesisSchemaVersion:        "1.0",
			},
		}
	}
	return ev
}

// verdict classifies one invocation's outcome.
type verdict int

const (
	success      verdict = iota // every record processed
	partial                     // records before failedAt processed
	batchFailure                // function error or a whole-batch failure response
)

// outcome is the classified result of one invocation.
type outcome struct {
	verdict       verdict
	failedAt      int    // partial: index of the lowest failed record
	statusCode    int    // for the on-failure message
	functionError string // for the on-failure message
	reason        string // for logs
}

// classify reads an invocation result for batch recs. Without ReportBatchItemFailures
// any response is success; with it, see the package documentation.
func classify(recs []Record, payload []byte, functionError string, invokeErr error,
	reportItems bool) outcome {
	switch {
	case invokeErr != nil:
		return outcome{verdict: batchFailure, statusCode: 500, reason: invokeErr.Error()}
	case functionError != "":
		return outcome{verdict: batchFailure, statusCode: 200, functionError: functionError,
			reason: "function error: " + truncate(payload, 300)}
	case !reportItems:
		return outcome{verdict: success, statusCode: 200}
	}
	var resp *struct {
		BatchItemFailures []struct {
			ItemIdentifier *string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if len(payload) > 0 {
		if err := json.Unmarshal(payload, &resp); err != nil {
			return outcome{verdict: batchFailure, statusCode: 200,
				reason: "response is not a KinesisEventResponse: " + truncate(payload, 300)}
		}
	}
	if resp == nil || len(resp.BatchItemFailures) == 0 {
		return outcome{verdict: success, statusCode: 200}
	}
	index := make(map[string]int, len(recs))
	for i, r := range recs {
		index[r.SequenceNumber] = i
	}
	lowest := len(recs)
	for _, f := range resp.BatchItemFailures {
		i, ok := -1, false
		if f.ItemIdentifier != nil {
			i, ok = index[*f.ItemIdentifier]
		}
		if !ok {
			return outcome{verdict: batchFailure, statusCode: 200,
				reason: "batch item failure with an empty or unknown itemIdentifier"}
		}
		lowest = min(lowest, i)
	}
	return outcome{verdict: partial, failedAt: lowest, statusCode: 200,
		reason: fmt.Sprintf("%d batch item failures", len(resp.BatchItemFailures))}
}

// failureMessage is the document Lambda sends to an on-failure destination for a
// Kinesis batch it gives up.
type failureMessage struct {
	RequestContext struct {
		RequestID              string `json:"requestId"`
		FunctionARN            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	ResponseContext struct {
		StatusCode      int    `json:"statusCode"`
		ExecutedVersion string `json:"executedVersion"`
		FunctionError   string `json:"functionError"`
	} `json:"responseContext"`
	Version          string    `json:"version"`
	Timestamp        string    `json:"timestamp"`
	KinesisBatchInfo batchInfo `json:"KinesisBatchInfo"`
}

// batchInfo locates a given-up batch in its stream.
type batchInfo struct {
	ShardID                         string `json:"shardId"`
	StartSequenceNumber             string `json:"startSequenceNumber"`
	EndSequenceNumber               string `json:"endSequenceNumber"`
	ApproximateArrivalOfFirstRecord string `json:"approximateArrivalOfFirstRecord"`
	ApproximateArrivalOfLastRecord  string `json:"approximateArrivalOfLastRecord"`
	BatchSize                       int    `json:"batchSize"`
	StreamARN                       string `json:"streamArn"`
}

// Conditions of an on-failure message.
const (
	conditionRetries = "RetryAttemptsExhausted"
	conditionAge     = "RecordAgeExceeded"
)

// isoMillis is the timestamp layout of on-failure messages.
const isoMillis = "2006-01-02T15:04:05.000Z"

// newFailureMessage describes the given-up records recs of shardID.
func (m *Mapping) newFailureMessage(shardID string, recs []Record, condition string,
	invokes int, last outcome, now time.Time) failureMessage {
	var msg failureMessage
	msg.RequestContext.RequestID = newID()
	msg.RequestContext.FunctionARN = m.cfg.FunctionARN
	msg.RequestContext.Condition = condition
	msg.RequestContext.ApproximateInvokeCount = invokes
	msg.ResponseContext.StatusCode = last.statusCode
	msg.ResponseContext.ExecutedVersion = "$LATEST"
	msg.ResponseContext.FunctionError = last.functionError
	msg.Version = "1.0"
	msg.Timestamp = now.UTC().Format(isoMillis)
	msg.KinesisBatchInfo = batchInfo{
		ShardID:                         shardID,
		StartSequenceNumber:             recs[0].SequenceNumber,
		EndSequenceNumber:               recs[len(recs)-1].SequenceNumber,
		ApproximateArrivalOfFirstRecord: recs[0].Arrival.UTC().Format(isoMillis),
		ApproximateArrivalOfLastRecord:  recs[len(recs)-1].Arrival.UTC().Format(isoMillis),
		BatchSize:                       len(recs),
		StreamARN:                       m.cfg.StreamARN,
	}
	return msg
}

// newID returns a random UUID-shaped request id.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// truncate returns b as a string of at most n bytes, for logs.
func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
