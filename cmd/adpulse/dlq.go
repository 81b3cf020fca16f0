package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/adpulse/adpulse/shared/aggregate"
)

// defaultReplayMax bounds one replay when --max is not given.
const defaultReplayMax = 1000

// replayVisibilitySeconds hides a received message from other consumers while it is
// replayed; a message that cannot be replayed stays hidden that long, so one run does not
// receive it twice.
const replayVisibilitySeconds = 60

// dlqReplay moves up to --max messages from the --from queue to the --to queue (a queue
// URL) or stream (a name or ARN). Each message is deleted from --from only after the
// send succeeded. To a stream only failure-queue messages carrying record data
// (aggregate.Parked) can go: the data is put back as one record; other messages, such as
// the event source mapping's batch descriptions, stay in --from.
func dlqReplay(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("dlq replay", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	from := fs.String("from", "", "URL of the dead-letter queue")
	to := fs.String("to", "", "URL of the queue, or name or ARN of the stream, to move to")
	limit := fs.Int("max", defaultReplayMax, "most messages to take from --from")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("dlq replay: %w\n%s", err, usage)
	}
	if *from == "" || *to == "" || *limit < 1 {
		return errors.New("dlq replay: --from, --to and a positive --max are required")
	}

	cfg, err := loadConfig(ctx)
	if err != nil {
		return fmt.Errorf("load aws config: %w", err)
	}
	r := replayer{queue: sqs.NewFromConfig(cfg), from: *from, max: *limit}
	if strings.HasPrefix(*to, "http://") || strings.HasPrefix(*to, "https://") {
		r.send = r.toQueue(*to)
	} else {
		r.send = toStream(kinesis.NewFromConfig(cfg), *to)
	}
	moved, skipped, err := r.run(ctx)
	fmt.Fprintf(out, "moved %d, left %d that cannot go to %s\n", moved, skipped, *to)
	return err
}

// errSkip marks a message that cannot be sent to the destination; it stays in the queue.
var errSkip = errors.New("message does not fit the destination")

// replayer moves messages out of one queue through send.
type replayer struct {
	queue *sqs.Client
	from  string
	max   int
	send  func(ctx context.Context, m sqstypes.Message) error
}

// run receives until the queue looks empty or max messages were handled.
func (r replayer) run(ctx context.Context) (moved, skipped int, err error) {
	for moved+skipped < r.max {
		res, err := r.queue.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:              aws.String(r.from),
			MaxNumberOfMessages:   int32(min(10, r.max-moved-skipped)),
			WaitTimeSeconds:       1,
			VisibilityTimeout:     replayVisibilitySeconds,
			MessageAttributeNames: []string{"All"},
		})
		if err != nil {
			return moved, skipped, fmt.Errorf("receive from %s: %w", r.from, err)
		}
		if len(res.Messages) == 0 {
			return moved, skipped, nil
		}
		for i, m := range res.Messages {
			err := r.send(ctx, m)
			if errors.Is(err, errSkip) {
				skipped++
				continue
			}
			if err != nil {
				r.release(ctx, res.Messages[i:])
				return moved, skipped, err
			}
			if _, err := r.queue.DeleteMessage(ctx, &sqs.DeleteMessageInput{
				QueueUrl: aws.String(r.from), ReceiptHandle: m.ReceiptHandle,
			}); err != nil {
				// Sent but not deleted: it will be replayed again; consumers are idempotent.
				return moved, skipped, fmt.Errorf("delete %s after its send: %w",
					aws.ToString(m.MessageId), err)
			}
			moved++
		}
	}
	return moved, skipped, nil
}

// release makes messages that were received but not replayed visible again at once.
func (r replayer) release(ctx context.Context, msgs []sqstypes.Message) {
	for _, m := range msgs {
		_, _ = r.queue.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
			QueueUrl: aws.String(r.from), ReceiptHandle: m.ReceiptHandle,
		})
	}
}

// toQueue sends a message's body and attributes to the queue at url.
func (r replayer) toQueue(url string) func(context.Context, sqstypes.Message) error {
	return func(ctx context.Context, m sqstypes.Message) error {
		_, err := r.queue.SendMessage(ctx, &sqs.SendMessageInput{
			QueueUrl: aws.String(url), MessageBody: m.Body,
			MessageAttributes: m.MessageAttributes,
		})
		if err != nil {
			return fmt.Errorf("send %s to %s: %w", aws.ToString(m.MessageId), url, err)
		}
		return nil
	}
}

// toStream puts the record data of a parked message into the stream name (or ARN).
// Replayed events are claimed by event_id in the aggregate function, so a record put
// twice is counted once.
func toStream(k *kinesis.Client, stream string) func(context.Context, sqstypes.Message) error {
	return func(ctx context.Context, m sqstypes.Message) error {
		var p aggregate.Parked
		if json.Unmarshal([]byte(aws.ToString(m.Body)), &p) != nil || len(p.Data) == 0 ||
			p.DataTruncated {
			return errSkip
		}
		in := &kinesis.PutRecordInput{Data: p.Data,
			PartitionKey: aws.String(p.TenantID + "/replay/" + p.SequenceNumber)}
		if strings.HasPrefix(stream, "arn:") {
			in.StreamARN = aws.String(stream)
		} else {
			in.StreamName = aws.String(stream)
		}
		if _, err := k.PutRecord(ctx, in); err != nil {
			return fmt.Errorf("put %s into %s: %w", aws.ToString(m.MessageId), stream, err)
		}
		return nil
	}
}
