package aggregate

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// maxParkedData bounds the record data copied into a failure message (SQS takes 256 KB).
const maxParkedData = 128 << 10

// Parked is the body of a failure-queue message for a poison record or event.
type Parked struct {
	Kind           string    `json:"kind"` // "poison-record" or "poison-event"
	Reason         string    `json:"reason"`
	ShardID        string    `json:"shard_id"`
	SequenceNumber string    `json:"sequence_number"`
	EventIndex     *int      `json:"event_index,omitempty"`
	TenantID       string    `json:"tenant_id,omitempty"`
	Arrival        time.Time `json:"approximate_arrival"`
	Data           []byte    `json:"data"` // base64 in JSON
	DataTruncated  bool      `json:"data_truncated,omitempty"`
}

// park sends a poison record or event to the failure queue with the reason it failed.
func (h *Handler) park(ctx context.Context, p poison) error {
	msg := Parked{
		Kind: "poison-record", Reason: p.reason, ShardID: p.shard, SequenceNumber: p.seq,
		TenantID: p.tenant, Arrival: p.arrival, Data: p.data,
	}
	if p.index >= 0 {
		idx := p.index
		msg.Kind, msg.EventIndex = "poison-event", &idx
	}
	if len(msg.Data) > maxParkedData {
		msg.Data, msg.DataTruncated = msg.Data[:maxParkedData], true
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("encode parked record: %w", err)
	}

	_, err = h.Queue.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl: aws.String(h.FailureQueueURL), MessageBody: aws.String(string(body)),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{
			"kind": {DataType: aws.String("String"), StringValue: aws.String(msg.Kind)},
			"sequence_number": {DataType: aws.String("String"),
				StringValue: aws.String(p.seq + "/" + strconv.Itoa(p.index))},
		},
	})
	if err != nil {
		return fmt.Errorf("send to failure queue: %w", err)
	}
	return nil
}
