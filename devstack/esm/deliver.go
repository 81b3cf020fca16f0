package esm

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// attempt is a run of records still to deliver and how often it was invoked.
type attempt struct {
	recs    []Record
	invokes int
	last    outcome // outcome of the latest invocation, for the on-failure message
	retry   bool    // the records were delivered before (a partial failure's remainder)
}

// deliver hands recs (in shard order) to the function until each record is processed
// or given up. It returns early only when ctx ends, leaving the rest unprocessed.
func (m *Mapping) deliver(ctx context.Context, shardID string, recs []Record) {
	work := []attempt{{recs: recs}}
	for len(work) > 0 && ctx.Err() == nil {
		a := &work[0]
		if m.dropExpired(ctx, shardID, a) {
			work = work[1:]
			continue
		}
		if a.invokes > 0 || a.retry {
			m.stats.retries.Add(1)
			sleep(ctx, m.backoff(a.invokes))
		}
		out := m.invoke(ctx, shardID, a.recs)
		if ctx.Err() != nil {
			return
		}
		a.invokes++
		a.last = out
		next, done := m.settle(ctx, shardID, *a, out)
		work = append(next, work[1:]...)
		if done {
			m.stats.batches.Add(1)
		}
	}
}

// settle decides what follows an invocation of a: the attempts still to make (first in
// order) and whether the attempt finished in success.
func (m *Mapping) settle(ctx context.Context, shardID string, a attempt, out outcome) (
	[]attempt, bool) {
	switch out.verdict {
	case success:
		m.stats.records.Add(int64(len(a.recs)))
		return nil, true
	case partial:
		m.stats.records.Add(int64(out.failedAt))
		m.log.Warn("partial batch failure", "shard", shardID, "records", len(a.recs),
			"failedAt", a.recs[out.failedAt].SequenceNumber, "reason", out.reason)
		rest := attempt{recs: a.recs[out.failedAt:], invokes: a.invokes, last: out, retry: true}
		if out.failedAt > 0 {
			rest.invokes = 0 // progress: the remainder is a new batch
		}
		if m.exhausted(rest.invokes) {
			m.giveUp(ctx, shardID, rest.recs, conditionRetries, rest.invokes, out)
			return nil, false
		}
		return []attempt{rest}, false
	}
	m.log.Warn("batch failed", "shard", shardID, "records", len(a.recs),
		"invokes", a.invokes, "reason", out.reason)
	if m.exhausted(a.invokes) {
		m.giveUp(ctx, shardID, a.recs, conditionRetries, a.invokes, out)
		return nil, false
	}
	if m.cfg.Bisect && len(a.recs) > 1 {
		m.stats.bisects.Add(1)
		half := len(a.recs) / 2
		return []attempt{{recs: a.recs[:half]}, {recs: a.recs[half:]}}, false
	}
	return []attempt{a}, false
}

// exhausted reports whether a batch invoked invokes times may not be retried again.
func (m *Mapping) exhausted(invokes int) bool {
	return m.cfg.MaxRetries >= 0 && invokes > m.cfg.MaxRetries
}

// invoke delivers recs once (twice with Redeliver) and classifies the last response.
func (m *Mapping) invoke(ctx context.Context, shardID string, recs []Record) outcome {
	payload, err := json.Marshal(m.kinesisEvent(shardID, recs))
	if err != nil {
		return outcome{verdict: batchFailure, reason: "encode event: " + err.Error()}
	}
	deliveries := 1
	if m.cfg.Redeliver {
		deliveries = 2
	}
	var out outcome
	for i := range deliveries {
		if i > 0 {
			m.stats.redeliveries.Add(1)
		}
		m.stats.invocations.Add(1)
		res, err := m.inv.Invoke(ctx, m.cfg.FunctionName, payload)
		out = classify(recs, res.Payload, res.FunctionError, err, m.cfg.ReportItemErrors)
	}
	return out
}

// dropExpired gives up the records of a older than MaximumRecordAgeInSeconds (a prefix,
// records being in arrival order) and reports whether nothing is left.
func (m *Mapping) dropExpired(ctx context.Context, shardID string, a *attempt) bool {
	if m.cfg.MaxRecordAge < 0 {
		return false
	}
	now := time.Now()
	n := 0
	for n < len(a.recs) && now.Sub(a.recs[n].Arrival) > m.cfg.MaxRecordAge {
		n++
	}
	if n == 0 {
		return false
	}
	m.giveUp(ctx, shardID, a.recs[:n], conditionAge, a.invokes, a.last)
	a.recs = a.recs[n:]
	return len(a.recs) == 0
}

// giveUp sends the on-failure message for recs and counts them as failed.
func (m *Mapping) giveUp(ctx context.Context, shardID string, recs []Record,
	condition string, invokes int, last outcome) {
	m.stats.recordsFailed.Add(int64(len(recs)))
	m.log.Error("records given up", "shard", shardID, "condition", condition,
		"records", len(recs), "first", recs[0].SequenceNumber, "invokes", invokes)
	if m.send == nil || m.cfg.OnFailureURL == "" {
		return
	}
	msg := m.newFailureMessage(shardID, recs, condition, invokes, last, time.Now())
	if err := m.sendFailure(ctx, msg); err != nil {
		m.log.Error("send on-failure message", "shard", shardID, "err", err)
		return
	}
	m.stats.failuresSent.Add(1)
}

// sendFailure sends msg to the on-failure queue, retrying a few times.
func (m *Mapping) sendFailure(ctx context.Context, msg failureMessage) error {
	body, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("encode on-failure message: %w", err)
	}
	for i := 0; ; i++ {
		_, err = m.send.SendMessage(ctx, &sqs.SendMessageInput{
			QueueUrl: aws.String(m.cfg.OnFailureURL), MessageBody: aws.String(string(body))})
		if err == nil || i == 4 || ctx.Err() != nil {
			return err
		}
		sleep(ctx, m.backoff(i+1))
	}
}

// backoff is the delay before retry n (1-based): RetryBackoff doubling up to 2 s.
func (m *Mapping) backoff(n int) time.Duration {
	d := m.cfg.RetryBackoff << min(max(n-1, 0), 10)
	return min(d, 2*time.Second)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
