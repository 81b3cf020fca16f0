package main

import (
	"context"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/adpulse/adpulse/shared/delivery"
	"github.com/adpulse/adpulse/shared/metrics"
	"github.com/adpulse/adpulse/shared/notify"
	"github.com/adpulse/adpulse/shared/rules"
)

// DefaultSchedule is the delay before each retry of a message with a failed channel:
// after the first receive 5 s, then 30 s, 2 min, 10 min, 30 min (the last repeats if
// MaxAttempts asks for more). Each delay is jittered by ±20%.
var DefaultSchedule = []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute,
	10 * time.Minute, 30 * time.Minute}

// DefaultMaxAttempts is one first try plus one retry per step of DefaultSchedule.
const DefaultMaxAttempts = 6

// defaultLease bounds a channel's claim when the context has no deadline.
const defaultLease = 2 * time.Minute

// States is where the handler claims and settles each channel's delivery;
// *delivery.Store implements it.
type States interface {
	Claim(ctx context.Context, k delivery.Key, now, leaseUntil time.Time) (delivery.Claim,
		error)
	MarkDelivered(ctx context.Context, k delivery.Key, at time.Time) error
	Release(ctx context.Context, k delivery.Key, n int, lastError string) error
	GiveUp(ctx context.Context, k delivery.Key, n int, reason string) error
}

// AttemptLog is the rule's delivery log that every attempt is appended to;
// *rules.Store implements it.
type AttemptLog interface {
	AppendDelivery(ctx context.Context, tenant string, d rules.Delivery) error
}

// Queue is the part of the SQS client the handler uses to schedule a retry.
type Queue interface {
	ChangeMessageVisibility(context.Context, *sqs.ChangeMessageVisibilityInput,
		...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

// Handler delivers the notifications of an SQS batch.
type Handler struct {
	Log         *slog.Logger
	States      States
	Attempts    AttemptLog
	Queue       Queue
	QueueURL    string
	Senders     map[notify.ChannelType]Sender
	MaxAttempts int
	Schedule    []time.Duration
	Now         func() time.Time
	Jitter      func() float64 // in [0, 1); 0.5 means no jitter
}

// outcome of one message.
type outcome struct {
	delivered, skipped, failed, gaveUp int
	retry                              bool   // some channel needs another attempt
	lastError                          string // of a channel that needs one
}

// Handle delivers every message of the batch, each channel on its own, and reports the
// messages that need another attempt as batch item failures after moving their
// visibility to the next step of the retry schedule.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse,
	error) {
	start := h.Now()
	results := make([]outcome, len(ev.Records))
	var wg sync.WaitGroup
	for i := range ev.Records {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = h.message(ctx, &ev.Records[i])
		}()
	}
	wg.Wait()

	var resp events.SQSEventResponse
	var total outcome
	for i, r := range results {
		total.delivered += r.delivered
		total.skipped += r.skipped
		total.failed += r.failed
		total.gaveUp += r.gaveUp
		if r.retry {
			resp.BatchItemFailures = append(resp.BatchItemFailures,
				events.SQSBatchItemFailure{ItemIdentifier: ev.Records[i].MessageId})
		}
	}
	level := slog.LevelInfo
	if len(resp.BatchItemFailures) > 0 {
		level = slog.LevelWarn
	}
	h.Log.Log(ctx, level, "notifier done", "messages", len(ev.Records),
		"retried", len(resp.BatchItemFailures), "delivered", total.delivered,
		"alreadyDelivered", total.skipped, "failedAttempts", total.failed,
		"gaveUp", total.gaveUp, "ms", h.Now().Sub(start).Milliseconds())
	return resp, nil
}

// message delivers one queue message and decides whether it comes back.
func (h *Handler) message(ctx context.Context, m *events.SQSMessage) outcome {
	receives, _ := strconv.Atoi(m.Attributes["ApproximateReceiveCount"])
	if receives < 1 {
		receives = 1
	}
	n, err := notify.Decode([]byte(m.Body))
	if err != nil {
		// It can never succeed; come back at once so the redrive policy parks it in the
		// dead-letter queue after MaxAttempts receives instead of after the schedule.
		h.Log.ErrorContext(ctx, "undeliverable message", "messageId", m.MessageId,
			"receives", receives, "err", err)
		h.retryAfter(ctx, m, 0)
		return outcome{retry: true, lastError: err.Error()}
	}

	final := receives >= h.MaxAttempts
	results := make([]channelResult, len(n.Channels))
	var wg sync.WaitGroup
	for i := range n.Channels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = h.channel(ctx, n, n.Channels[i], receives, final)
		}()
	}
	wg.Wait()

	var out outcome
	for i, r := range results {
		recordChannel(ctx, n.Channels[i].Type, r.state)
		switch r.state {
		case chDelivered:
			out.delivered++
		case chAlready:
			out.skipped++
		case chGaveUp:
			out.failed++
			out.gaveUp++
		case chFailed:
			out.failed++
			out.retry = true
			out.lastError = r.err
			if final {
				out.gaveUp++
			}
		case chBusy:
			out.retry = true
			out.lastError = r.err
		}
	}
	if out.retry {
		delay := h.delay(receives)
		if final {
			delay = 0 // the redrive policy moves it to the dead-letter queue on receive
		}
		h.Log.WarnContext(ctx, "notification will be retried", "notificationId", n.ID,
			"messageId", m.MessageId, "receives", receives, "final", final,
			"retryInSeconds", int(delay.Seconds()), "lastError", out.lastError)
		h.retryAfter(ctx, m, delay)
	}
	return out
}

// delay is the jittered wait after the given number of receives.
func (h *Handler) delay(receives int) time.Duration {
	if len(h.Schedule) == 0 {
		return 0
	}
	step := h.Schedule[min(receives-1, len(h.Schedule)-1)]
	factor := 0.8 + 0.4*h.Jitter()
	return time.Duration(float64(step) * factor)
}

// retryAfter makes the message visible again after d. On failure the message comes back
// after the queue's visibility timeout instead, which is only later, never lost.
func (h *Handler) retryAfter(ctx context.Context, m *events.SQSMessage, d time.Duration) {
	secs := int32(math.Min(math.Ceil(d.Seconds()), 43200))
	_, err := h.Queue.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl: aws.String(h.QueueURL), ReceiptHandle: aws.String(m.ReceiptHandle),
		VisibilityTimeout: secs,
	})
	if err != nil {
		h.Log.WarnContext(ctx, "change visibility failed; the queue timeout applies",
			"messageId", m.MessageId, "err", err)
	}
}

// leaseUntil is when a claim taken now must end: the invocation's deadline plus a
// margin, so a crashed invocation's claims can be taken over by the retry.
func (h *Handler) leaseUntil(ctx context.Context) time.Time {
	if dl, ok := ctx.Deadline(); ok {
		return dl.Add(10 * time.Second)
	}
	return h.Now().Add(defaultLease)
}

// recordChannel counts one channel's attempt in EMF per channel type: NotificationsSent
// when it was delivered now, NotificationsFailed when the send failed (retried or given up).
// Each attempt records both names, one of them zero, so the failure-rate alarm's
// failed / (sent + failed) has both series in every minute with an attempt.
func recordChannel(ctx context.Context, typ notify.ChannelType, state channelState) {
	var sent, failed float64
	switch state {
	case chDelivered:
		sent = 1
	case chFailed, chGaveUp:
		failed = 1
	default:
		return
	}

	m, ch := metrics.From(ctx), metrics.Dim("Channel", string(typ))
	m.Count("NotificationsSent", sent, ch)
	m.Count("NotificationsFailed", failed, ch)
}
