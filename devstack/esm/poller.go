package esm

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kintypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// Limits of one GetRecords call and of one invocation payload.
const (
	maxGetRecords = 10000
	maxBatchBytes = 6*1024*1024 - 64*1024 // Lambda's 6 MB, less the envelope
)

// poller reads one shard in order and delivers its batches one at a time.
type poller struct {
	m       *Mapping
	shardID string

	iterator string
	lastRead string    // sequence number of the last record read
	buf      []Record  // read, not yet delivered
	bufSince time.Time // when the oldest buffered record was read

	mu           sync.Mutex
	busy         bool
	lastEmpty    time.Time
	lastActivity time.Time
}

// run polls until ctx ends.
func (p *poller) run(ctx context.Context) {
	for ctx.Err() == nil {
		full := false
		if len(p.buf) < p.m.cfg.BatchSize {
			var err error
			if full, err = p.read(ctx); err != nil {
				if ctx.Err() == nil {
					p.m.log.Warn("read shard", "shard", p.shardID, "err", err)
					sleep(ctx, p.m.cfg.PollInterval)
				}
				continue
			}
		}
		if batch := p.nextBatch(); batch != nil {
			p.m.deliver(ctx, p.shardID, batch)
			p.setState(len(p.buf) > 0, false, time.Now())
			continue
		}
		if !full {
			sleep(ctx, p.wait())
		}
	}
}

// wait returns how long to sleep before the next read when nothing is ready.
func (p *poller) wait() time.Duration {
	if len(p.buf) == 0 {
		return p.m.cfg.PollInterval
	}
	left := p.m.cfg.Window - time.Since(p.bufSince)
	return max(min(left, p.m.cfg.PollInterval), time.Millisecond)
}

// nextBatch takes the next batch off the buffer if one is ready: BatchSize records,
// 6 MB, or the batching window elapsed since the oldest buffered record was read.
func (p *poller) nextBatch() []Record {
	if len(p.buf) == 0 {
		return nil
	}
	n, size := 0, 0
	for n < len(p.buf) && n < p.m.cfg.BatchSize && size+p.buf[n].size() <= maxBatchBytes {
		size += p.buf[n].size()
		n++
	}
	n = max(n, 1) // one record over 6 MB cannot be: Kinesis caps records at 1 MB
	windowOver := time.Since(p.bufSince) >= p.m.cfg.Window
	if n < len(p.buf) || n == p.m.cfg.BatchSize || windowOver {
		batch := p.buf[:n:n]
		p.buf = p.buf[n:]
		p.bufSince = time.Now()
		return batch
	}
	return nil
}

// read calls GetRecords once and buffers what it returns. It reports whether the shard
// has more records than one call returned (the poller is behind).
func (p *poller) read(ctx context.Context) (bool, error) {
	if p.iterator == "" {
		if err := p.newIterator(ctx); err != nil {
			return false, err
		}
	}
	started := time.Now()
	out, err := p.m.kin.GetRecords(ctx, &kinesis.GetRecordsInput{
		ShardIterator: aws.String(p.iterator), Limit: aws.Int32(maxGetRecords)})
	if err != nil {
		// kumo's iterators are single-use and a failed call may have used this one up:
		// start again after the last record read, whatever the error.
		p.iterator = ""
		if isIteratorError(err) {
			return true, nil
		}
		return false, fmt.Errorf("get records: %w", err)
	}
	p.iterator = aws.ToString(out.NextShardIterator)
	for _, r := range out.Records {
		rec := Record{SequenceNumber: aws.ToString(r.SequenceNumber),
			PartitionKey: aws.ToString(r.PartitionKey), Data: r.Data,
			Arrival: aws.ToTime(r.ApproximateArrivalTimestamp)}
		cfg := p.m.cfg
		if cfg.StartingPosition == "AT_TIMESTAMP" && rec.Arrival.Before(cfg.StartTimestamp) {
			continue // kumo ignores the iterator timestamp; filter here
		}
		if len(p.buf) == 0 {
			p.bufSince = time.Now()
		}
		p.buf = append(p.buf, rec)
	}
	if n := len(out.Records); n > 0 {
		p.lastRead = aws.ToString(out.Records[n-1].SequenceNumber)
		p.setState(true, false, time.Now())
	} else if len(p.buf) == 0 {
		p.setState(false, true, started)
	}
	return len(out.Records) == maxGetRecords, nil
}

// newIterator gets an iterator after the last record read, or at the starting position.
func (p *poller) newIterator(ctx context.Context) error {
	in := &kinesis.GetShardIteratorInput{StreamName: aws.String(p.m.cfg.StreamName),
		ShardId: aws.String(p.shardID)}
	switch {
	case p.lastRead != "":
		in.ShardIteratorType = kintypes.ShardIteratorTypeAfterSequenceNumber
		in.StartingSequenceNumber = aws.String(p.lastRead)
	case p.m.cfg.StartingPosition == "AT_TIMESTAMP":
		in.ShardIteratorType = kintypes.ShardIteratorTypeTrimHorizon
	default:
		in.ShardIteratorType = kintypes.ShardIteratorType(p.m.cfg.StartingPosition)
	}
	out, err := p.m.kin.GetShardIterator(ctx, in)
	if err != nil {
		return fmt.Errorf("get shard iterator %s: %w", in.ShardIteratorType, err)
	}
	p.iterator = aws.ToString(out.ShardIterator)
	return nil
}

// isIteratorError reports whether err says the iterator is used up or expired.
func isIteratorError(err error) bool {
	var expired *kintypes.ExpiredIteratorException
	var invalid *kintypes.InvalidArgumentException
	return errors.As(err, &expired) ||
		(errors.As(err, &invalid) && aws.ToString(invalid.Message) == "Invalid shard iterator")
}

// setState records the poller's state for Idle and WaitIdle: busy, and either an empty
// read started at t or activity at t.
func (p *poller) setState(busy, empty bool, t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.busy = busy
	if empty {
		p.lastEmpty = t
	} else {
		p.lastActivity = t
	}
}

// probe returns the poller's state.
func (p *poller) probe() Probe {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Probe{Busy: p.busy, LastEmpty: p.lastEmpty, LastActivity: p.lastActivity}
}
