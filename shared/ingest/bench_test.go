package ingest_test

import (
	"context"
	"testing"

	"github.com/adpulse/adpulse/shared/event"
)

// discard takes every record.
type discard struct{}

func (discard) Publish(_ context.Context, recs []event.Packed) []error {
	return make([]error, len(recs))
}

// BenchmarkHandleBatch500 measures the ingest function's own work for one 500-event batch:
// key check (cached), body, per-event decode and validation, packing, the answer. The
// stream call is left out.
func BenchmarkHandleBatch500(b *testing.B) {
	h, _, _ := newHandler()
	h.Publisher = discard{}
	req := request("/v1/events/batch", goodKey, batchOf(500, nil))
	b.SetBytes(int64(len(req.Body)))
	b.ReportAllocs()
	for b.Loop() {
		resp, _ := h.Handle(context.Background(), req)
		if resp.StatusCode != 202 {
			b.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
		}
	}
	b.ReportMetric(float64(500*b.N)/b.Elapsed().Seconds(), "events/s")
}
