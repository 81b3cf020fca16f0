package ingest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/adpulse/adpulse/shared/event"
)

// KinesisAPI is the part of the Kinesis client the publisher uses.
type KinesisAPI interface {
	PutRecords(context.Context, *kinesis.PutRecordsInput, ...func(*kinesis.Options)) (
		*kinesis.PutRecordsOutput, error)
}

// PutRecords limits per call.
const (
	maxPutRecords = 500
	maxPutBytes   = 5 << 20
)

// Publisher writes packed records to a stream, retrying only the entries that failed.
type Publisher struct {
	Client   KinesisAPI
	Stream   string
	Attempts int           // total attempts per entry, at least 1
	Backoff  time.Duration // first retry delay; doubles, with full jitter
}

// Publish writes every record and returns, for each record, nil or the last reason it was
// refused. It stops retrying when ctx is done.
func (p *Publisher) Publish(ctx context.Context, recs []event.Packed) []error {
	errs := make([]error, len(recs))
	pending := make([]int, len(recs))
	for i := range recs {
		pending[i] = i
	}

	delay := p.Backoff
	for attempt := 1; len(pending) > 0; attempt++ {
		pending = p.putAll(ctx, recs, pending, errs)
		if len(pending) == 0 || attempt >= p.Attempts {
			break
		}
		if !sleep(ctx, time.Duration(rand.Int64N(int64(delay)+1))) {
			break
		}
		delay *= 2
	}
	return errs
}

// putAll sends the pending records in calls within the PutRecords limits and returns the
// ones that failed, with their reasons recorded in errs.
func (p *Publisher) putAll(ctx context.Context, recs []event.Packed, pending []int,
	errs []error) []int {
	var failed []int
	for start := 0; start < len(pending); {
		end, size := start, 0
		for end < len(pending) && end-start < maxPutRecords {
			r := recs[pending[end]]
			n := len(r.Data) + len(r.PartitionKey)
			if size+n > maxPutBytes {
				break
			}
			size += n
			end++
		}
		if end == start {
			end++
		}
		failed = append(failed, p.putCall(ctx, recs, pending[start:end], errs)...)
		start = end
	}
	return failed
}

func (p *Publisher) putCall(ctx context.Context, recs []event.Packed, idx []int,
	errs []error) []int {
	entries := make([]types.PutRecordsRequestEntry, len(idx))
	for i, r := range idx {
		entries[i] = types.PutRecordsRequestEntry{
			Data: recs[r].Data, PartitionKey: aws.String(recs[r].PartitionKey),
		}
	}

	out, err := p.Client.PutRecords(ctx, &kinesis.PutRecordsInput{
		StreamName: aws.String(p.Stream), Records: entries,
	})
	if err != nil {
		for _, r := range idx {
			errs[r] = fmt.Errorf("put records: %w", err)
		}
		return idx
	}

	var failed []int
	for i, res := range out.Records {
		r := idx[i]
		if res.ErrorCode == nil {
			errs[r] = nil
			continue
		}
		errs[r] = fmt.Errorf("kinesis refused record: %s: %s", aws.ToString(res.ErrorCode),
			aws.ToString(res.ErrorMessage))
		failed = append(failed, r)
	}
	return failed
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
