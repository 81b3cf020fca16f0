package event_test

import (
	"encoding/json"
	"testing"

	"github.com/adpulse/adpulse/shared/event"
)

// BenchmarkDecodeBatch500 measures the ingest hot path: split a 500-event body and decode
// and validate every event.
func BenchmarkDecodeBatch500(b *testing.B) {
	body, _ := json.Marshal(sample(500, "c-1"))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		raws, err := event.SplitBatch(body)
		if err != nil {
			b.Fatal(err)
		}
		for _, raw := range raws {
			if _, err := event.Decode(raw, now); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(500*b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkPack500 measures packing 500 valid events into Kinesis records.
func BenchmarkPack500(b *testing.B) {
	evs := sample(500, "c-1")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := event.Pack("t_1", evs, 16, now); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(500*b.N)/b.Elapsed().Seconds(), "events/s")
}
