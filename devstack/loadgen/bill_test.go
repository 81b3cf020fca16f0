package loadgen_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/adpulse/adpulse/devstack/loadgen"
	"github.com/adpulse/adpulse/shared/bill"
	"github.com/adpulse/adpulse/shared/meter"
)

// TestBillByTableFromLogs: usage lines by table, as the functions log them, reach the
// launch model and the Bill section's per-table rows.
func TestBillByTableFromLogs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aggregate.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(f, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.MessageKey {
				a.Key = "message"
			}
			return a
		}}))
	m := meter.New()
	h := meter.Handler(m, log, func(context.Context, int) (int, error) {
		logPut := meter.Usage{Calls: 1, Requests: 1, Items: 1, WriteUnits: 3}
		sketch := meter.Usage{Calls: 2, Requests: 2, Items: 2, WriteUnits: 10}
		m.Record("DynamoDB", "PutItem", logPut.Add(sketch))
		m.RecordTable(bill.DedupLogTable, "PutItem", logPut)
		m.RecordTable(bill.AggregatesTable, "PutItem", sketch)
		return 0, nil
	})
	for i := range 2 {
		if _, err := h(context.Background(), i); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()

	agg, err := loadgen.ReadUsage(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := agg.Tables[bill.AggregatesTable]["PutItem"].WriteUnits; got != 20 {
		t.Errorf("got %d sketch WRU from the log, want 20", got)
	}
	r := loadgen.Report{Prices: bill.USEast1, Steps: []loadgen.Step{{Name: "1x",
		Load: loadgen.Result{Accepted: 1000}, Aggregate: agg,
		Ingest: loadgen.FunctionUsage{Invocations: 2}}}}
	r.Model(bill.Scenario{EventsPerSecond: 100_000, Hours: 24})
	md := r.Markdown()[loadgen.SectionBill]
	for _, want := range []string{
		"| aggregate | DynamoDB.PutItem on CLAIMS_TABLE | 2 | 2 | 6 WRU |",
		"| aggregate | DynamoDB.PutItem on AGGREGATES_TABLE | 4 | 4 | 20 WRU |",
		// 6 WRU per 1,000 events at 100,000 events/s; 10 WRU an invocation, at one
		// invocation a second of the one shard.
		"| aggregate | CLAIMS_TABLE | PutItem (event) | 600 | 0 | 0.0038 |",
		"| aggregate | AGGREGATES_TABLE | PutItem (invocation) | 10 | 0 | 0.0001 |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Bill section lacks %q:\n%s", want, md)
		}
	}
}
