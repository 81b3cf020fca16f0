package esm

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// QueueConfig describes one SQS event source mapping. Zero values take the AWS defaults
// noted on each field.
type QueueConfig struct {
	FunctionName string // physical name to invoke
	QueueURL     string
	QueueARN     string // eventSourceARN of the messages
	Region       string // default us-east-1

	BatchSize        int           // default 10
	Window           time.Duration // MaximumBatchingWindowInSeconds
	ReportItemErrors bool          // FunctionResponseTypes has ReportBatchItemFailures
	// MaxConcurrency is ScalingConfig.MaximumConcurrency: how many batches are in
	// flight at once, one poller each (default 5, the pollers Lambda starts with).
	MaxConcurrency int

	// IdlePoll is the pause after an empty receive (default 100 ms). Receives do not
	// long-poll, so that WaitIdle sees every poller's empty read within this time.
	IdlePoll time.Duration
}

// Queue is the part of the SQS API the queue pollers use. Visibility, receive counts
// and the redrive to a dead-letter queue are the queue's own (kumo applies the
// RedrivePolicy at receive, as SQS does).
type Queue interface {
	ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (
		*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(context.Context, *sqs.DeleteMessageBatchInput, ...func(*sqs.Options)) (
		*sqs.DeleteMessageBatchOutput, error)
}

// QueueStats counts what a queue mapping did.
type QueueStats struct {
	Invocations   int64 // batches handed to the function
	Messages      int64 // messages in those batches, redeliveries included
	Deleted       int64 // messages deleted: processed
	ItemFailures  int64 // messages the function reported in batchItemFailures
	BatchFailures int64 // invocations that failed as a whole (every message stays)
}

// QueueMapping delivers one queue's messages to one function, with Lambda's semantics:
// batches of up to BatchSize gathered within Window, the batch deleted when the
// function succeeds, and with ReportItemErrors only the messages it names kept. Kept
// messages come back when their visibility timeout ends (or sooner if the function
// changed it). Create it with NewQueue, run it with Start, stop it with Close.
type QueueMapping struct {
	cfg QueueConfig
	q   Queue
	inv Invoker
	log *slog.Logger

	invocations, messages, deleted, itemFailures, batchFailures atomic.Int64

	mu        sync.Mutex
	busy      int               // pollers holding messages
	lastEmpty map[int]time.Time // per poller, its latest empty receive
	lastWork  time.Time         // latest batch received or settled
	cancel    context.CancelFunc
	wg        sync.WaitGroup
}

// NewQueue returns a queue mapping.
func NewQueue(cfg QueueConfig, q Queue, inv Invoker, log *slog.Logger) *QueueMapping {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 10
	}
	if cfg.MaxConcurrency <= 0 {
		cfg.MaxConcurrency = 5
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.IdlePoll <= 0 {
		cfg.IdlePoll = 100 * time.Millisecond
	}
	return &QueueMapping{cfg: cfg, q: q, inv: inv, lastEmpty: map[int]time.Time{},
		log: log.With("queue", cfg.QueueURL, "function", cfg.FunctionName)}
}

// Start starts MaxConcurrency pollers.
func (m *QueueMapping) Start(ctx context.Context) {
	ctx, m.cancel = context.WithCancel(context.WithoutCancel(ctx))
	for i := range m.cfg.MaxConcurrency {
		m.wg.Go(func() { m.poll(ctx, i) })
	}
	m.log.Info("queue event source mapping started", "pollers", m.cfg.MaxConcurrency,
		"batchSize", m.cfg.BatchSize, "window", m.cfg.Window,
		"reportItemErrors", m.cfg.ReportItemErrors)
}

// Close stops the pollers and waits for the batches in flight.
func (m *QueueMapping) Close() {
	if m.cancel != nil {
		m.cancel()
	}
	m.wg.Wait()
}

// Stats returns the counters so far.
func (m *QueueMapping) Stats() QueueStats {
	return QueueStats{Invocations: m.invocations.Load(), Messages: m.messages.Load(),
		Deleted: m.deleted.Load(), ItemFailures: m.itemFailures.Load(),
		BatchFailures: m.batchFailures.Load()}
}

// Probe returns the mapping's state for WaitIdle: busy while a poller holds messages,
// and the oldest of the pollers' latest empty receives.
func (m *QueueMapping) Probe() Probe {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := Probe{Busy: m.busy > 0, LastActivity: m.lastWork, LastEmpty: farFuture}
	if len(m.lastEmpty) < m.cfg.MaxConcurrency {
		p.LastEmpty = time.Time{}
	}
	for _, t := range m.lastEmpty {
		if t.Before(p.LastEmpty) {
			p.LastEmpty = t
		}
	}
	return p
}

// poll is one poller: gather a batch, deliver it, settle it, until ctx ends.
func (m *QueueMapping) poll(ctx context.Context, id int) {
	for ctx.Err() == nil {
		msgs := m.gather(ctx, id)
		if len(msgs) == 0 {
			continue
		}
		m.deliver(ctx, msgs)
		m.mu.Lock()
		m.busy--
		m.lastWork = time.Now()
		m.mu.Unlock()
	}
}

// gather receives up to BatchSize messages: it polls for the first, then keeps
// receiving until the batch is full or Window has passed since the first arrived.
func (m *QueueMapping) gather(ctx context.Context, id int) []sqstypes.Message {
	var msgs []sqstypes.Message
	var deadline time.Time
	for len(msgs) < m.cfg.BatchSize && ctx.Err() == nil {
		if len(msgs) > 0 && !time.Now().Before(deadline) {
			break
		}
		got, err := m.receive(ctx, min(m.cfg.BatchSize-len(msgs), 10))
		if err != nil {
			if ctx.Err() == nil {
				m.log.Warn("receive failed", "err", err)
				sleep(ctx, 200*time.Millisecond)
			}
			continue
		}
		switch {
		case len(got) > 0 && len(msgs) == 0:
			deadline = time.Now().Add(m.cfg.Window)
			m.mu.Lock()
			m.busy++
			m.lastWork = time.Now()
			m.mu.Unlock()
		case len(got) == 0 && len(msgs) == 0:
			m.mu.Lock()
			m.lastEmpty[id] = time.Now()
			m.mu.Unlock()
			sleep(ctx, m.cfg.IdlePoll)
		case len(got) == 0:
			sleep(ctx, min(50*time.Millisecond, time.Until(deadline)))
		}
		msgs = append(msgs, got...)
	}
	if len(msgs) > 0 && ctx.Err() != nil {
		// Stopping: the messages come back after their visibility timeout.
		m.mu.Lock()
		m.busy--
		m.mu.Unlock()
		return nil
	}
	return msgs
}

// receive makes one ReceiveMessage call with every system attribute Lambda passes on.
func (m *QueueMapping) receive(ctx context.Context, n int) ([]sqstypes.Message, error) {
	out, err := m.q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:            aws.String(m.cfg.QueueURL),
		MaxNumberOfMessages: int32(n),
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{
			sqstypes.MessageSystemAttributeNameAll},
		MessageAttributeNames: []string{"All"},
	})
	if err != nil {
		return nil, fmt.Errorf("receive from %s: %w", m.cfg.QueueURL, err)
	}
	return out.Messages, nil
}

// deliver invokes the function with msgs and deletes what it processed.
func (m *QueueMapping) deliver(ctx context.Context, msgs []sqstypes.Message) {
	payload, err := json.Marshal(m.sqsEvent(msgs))
	if err != nil {
		m.log.Error("encode SQS event", "err", err)
		return
	}
	m.invocations.Add(1)
	m.messages.Add(int64(len(msgs)))
	res, err := m.inv.Invoke(ctx, m.cfg.FunctionName, payload)
	if err != nil || res.FunctionError != "" {
		// Every message stays and comes back after its visibility timeout.
		m.batchFailures.Add(1)
		m.log.Warn("batch failed", "messages", len(msgs), "err", err,
			"functionError", res.FunctionError, "payload", truncate(res.Payload, 300))
		return
	}
	failed, ok := m.failedIDs(res.Payload, msgs)
	if !ok {
		m.batchFailures.Add(1)
		m.log.Warn("invalid partial batch response: the whole batch failed",
			"messages", len(msgs), "payload", truncate(res.Payload, 300))
		return
	}
	m.itemFailures.Add(int64(len(failed)))
	var done []sqstypes.Message
	for _, msg := range msgs {
		if !failed[aws.ToString(msg.MessageId)] {
			done = append(done, msg)
		}
	}
	m.delete(ctx, done)
}

// failedIDs reads the function's partial batch response. Like Lambda, it takes an empty
// response or empty batchItemFailures as success, and an undecodable response or an
// item identifier that is empty or not in the batch as a failure of the whole batch.
// Without ReportItemErrors the response is not read: success deletes every message.
func (m *QueueMapping) failedIDs(payload []byte, msgs []sqstypes.Message) (
	map[string]bool, bool) {
	failed := map[string]bool{}
	if !m.cfg.ReportItemErrors || len(payload) == 0 || string(payload) == "null" {
		return failed, true
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(payload, &resp); err != nil {
		return nil, false
	}
	inBatch := make(map[string]bool, len(msgs))
	for _, msg := range msgs {
		inBatch[aws.ToString(msg.MessageId)] = true
	}
	for _, f := range resp.BatchItemFailures {
		if !inBatch[f.ItemIdentifier] {
			return nil, false
		}
		failed[f.ItemIdentifier] = true
	}
	return failed, true
}

// delete deletes msgs, ten per call.
func (m *QueueMapping) delete(ctx context.Context, msgs []sqstypes.Message) {
	for len(msgs) > 0 {
		n := min(len(msgs), 10)
		entries := make([]sqstypes.DeleteMessageBatchRequestEntry, n)
		for i, msg := range msgs[:n] {
			entries[i] = sqstypes.DeleteMessageBatchRequestEntry{
				Id: aws.String(strconv.Itoa(i)), ReceiptHandle: msg.ReceiptHandle}
		}
		out, err := m.q.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{
			QueueUrl: aws.String(m.cfg.QueueURL), Entries: entries})
		switch {
		case err != nil:
			m.log.Warn("delete failed: the messages will be delivered again", "err", err)
		case len(out.Failed) > 0:
			m.log.Warn("delete failed for some messages", "failed", len(out.Failed))
			m.deleted.Add(int64(len(out.Successful)))
		default:
			m.deleted.Add(int64(n))
		}
		msgs = msgs[n:]
	}
}

// sqsEvent builds the SQSEvent Lambda would send for msgs.
func (m *QueueMapping) sqsEvent(msgs []sqstypes.Message) events.SQSEvent {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, len(msgs))}
	for i, msg := range msgs {
		rec := events.SQSMessage{
			MessageId:              aws.ToString(msg.MessageId),
			ReceiptHandle:          aws.ToString(msg.ReceiptHandle),
			Body:                   aws.ToString(msg.Body),
			Md5OfBody:              aws.ToString(msg.MD5OfBody),
			Md5OfMessageAttributes: aws.ToString(msg.MD5OfMessageAttributes),
			Attributes:             msg.Attributes,
			MessageAttributes:      map[string]events.SQSMessageAttribute{},
			EventSourceARN:         m.cfg.QueueARN,
			EventSource:            "aws:sqs",
			AWSRegion:              m.cfg.Region,
		}
		if rec.Attributes == nil {
			rec.Attributes = map[string]string{}
		}
		for k, a := range msg.MessageAttributes {
			rec.MessageAttributes[k] = events.SQSMessageAttribute{
				StringValue: a.StringValue, BinaryValue: a.BinaryValue,
				StringListValues: a.StringListValues, BinaryListValues: a.BinaryListValues,
				DataType: aws.ToString(a.DataType)}
		}
		ev.Records[i] = rec
	}
	return ev
}
