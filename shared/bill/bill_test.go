package bill_test

import (
	"maps"
	"math"
	"testing"

	"github.com/adpulse/adpulse/shared/bill"
	"github.com/adpulse/adpulse/shared/meter"
)

// knownRun is 1,000 events: two ingest requests that put 10 PUT units and read one API
// key, and one aggregate invocation that made 1,000 claim writes, 100 row writes and
// parked one poison record.
func knownRun() bill.Run {
	in, agg := meter.New(), meter.New()
	in.Record("Kinesis", "PutRecords", meter.Usage{Calls: 2, Requests: 2, Records: 10,
		PutUnits: 10, RecordKB: 200})
	in.Record("DynamoDB", "GetItem", meter.Usage{Calls: 1, Requests: 1, Items: 1, ReadUnits: 0.5})
	agg.Record("DynamoDB", "PutItem", meter.Usage{Calls: 1000, Requests: 1000, Items: 1000,
		WriteUnits: 1000})
	agg.Record("DynamoDB", "UpdateItem", meter.Usage{Calls: 100, Requests: 100, Items: 100,
		WriteUnits: 100})
	agg.Record("SQS", "SendMessage", meter.Usage{Calls: 1, Requests: 1, SQSUnits: 1, Messages: 1})
	return bill.Run{Events: 1000, Functions: []bill.Function{
		{Name: "ingest", APIRequests: 2, Invocations: 2, GBSeconds: 0.02, Usage: in.Snapshot()},
		{Name: "aggregate", Invocations: 1, GBSeconds: 0.1, Usage: agg.Snapshot()},
	}}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9*math.Max(1, math.Abs(b)) }

func TestComputeKnownBill(t *testing.T) {
	b := bill.Compute(bill.USEast1, knownRun())

	tests := []struct {
		name      string
		got, want float64
	}{
		{"total", b.USD, 2*3.5e-6 + 3*0.2e-6 + 0.12*0.0000133334 + 10*0.014e-6 +
			0.5*0.125e-6 + 1100*0.625e-6 + 0.4e-6},
		{"per million", b.PerMillion(), 0.697302508},
		{"API Gateway", b.ByService()[bill.APIGateway], 0.007},
		{"DynamoDB", b.ByService()[bill.DynamoDB], 0.6875 + 0.0000625},
		{"Kinesis", b.ByService()[bill.Kinesis], 0.00014},
		{"SQS", b.ByService()[bill.SQS], 0.0004},
		{"ingest", b.ByFunction()["ingest"], 0.007 + 0.0004 + 0.02*0.0133334 + 0.00014 +
			0.0000625},
		{"aggregate", b.ByFunction()["aggregate"], 0.0002 + 0.1*0.0133334 + 0.6875 + 0.0004},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !near(tc.got, tc.want) {
				t.Errorf("got %.12f, want %.12f", tc.got, tc.want)
			}
		})
	}
}

func TestModelLaunchDay(t *testing.T) {
	ours, naive := bill.Model(bill.USEast1, knownRun(), bill.Scenario{EventsPerSecond: 100_000})

	// Ours: 500 events per request, 100 events per 20 KB record: 1,000 records/s and
	// 19.5 MB/s need 20 shards; 50 records/s per shard is under a batch, so one
	// invocation per shard per second.
	tests := []struct {
		name      string
		got, want float64
	}{
		{"requests/s", ours.APIRequestsPerSecond, 200},
		{"records/s", ours.RecordsPerSecond, 1000},
		{"shards", float64(ours.Shards), 20},
		{"aggregate invocations/s", ours.AggregateInvocPerSec, 20},
		{"claim + row WRU/s", ours.WriteUnitsPerSecond, 100_000 + 20*100},
		{"naive shards", float64(naive.Shards), 100},
		{"naive WRU/s", naive.WriteUnitsPerSecond, 100_000},
		{"naive API requests per million events", naive.Bill.ByService()[bill.APIGateway], 3.5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !near(tc.got, tc.want) {
				t.Errorf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
	if ours.Bill.PerMillion() >= naive.Bill.PerMillion() {
		t.Errorf("got ours %.4f >= naive %.4f per million", ours.Bill.PerMillion(),
			naive.Bill.PerMillion())
	}
	if want := ours.PerDay * 30; !near(ours.PerMonth, want) {
		t.Errorf("got per month %v, want %v", ours.PerMonth, want)
	}
}

// TestModelShardsFromExactBytes: the stream's shards follow the bytes the meter counted
// (compressed records), not each record rounded up to a kilobyte, when it counted them.
func TestModelShardsFromExactBytes(t *testing.T) {
	cases := []struct {
		name            string
		recordKB, bytes int64 // of the run's 10 records
		shards          int
		rowWRUPerSecond float64 // rollup writes: 100 per aggregate invocation
	}{
		{"rounded kilobytes only", 200, 0, 20, 20 * 100},
		{"exact bytes, 20 KB records", 200, 10 * 20 * 1024, 20, 20 * 100},
		{"exact bytes, 5,000-byte records", 50, 10 * 5000, 5, 5 * 100},
		{"exact bytes, 500-byte records: the record limit", 10, 10 * 500, 1, 1 * 100},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := knownRun()
			k := r.Functions[0].Usage["Kinesis"]["PutRecords"]
			k.RecordKB, k.Bytes = tc.recordKB, tc.bytes
			r.Functions[0].Usage["Kinesis"]["PutRecords"] = k
			ours, _ := bill.Model(bill.USEast1, r, bill.Scenario{EventsPerSecond: 100_000,
				BatchRecords: 1000})
			if ours.Shards != tc.shards {
				t.Errorf("got %d shards, want %d", ours.Shards, tc.shards)
			}
			// 1,000 claim units per 1,000 events, and the rows of one invocation per
			// shard per second (at most 1,000 records a shard, one batch).
			if want := 100_000 + tc.rowWRUPerSecond; !near(ours.WriteUnitsPerSecond, want) {
				t.Errorf("got %v WRU/s, want %v", ours.WriteUnitsPerSecond, want)
			}
		})
	}
}

// knownRunByTable is knownRun with the aggregate function metered by table: its 1,000
// PutItem units split between the de-duplication log (claims) and the reach sketches
// (sketches), its 100 rollup UpdateItems and 20 sketch reads (40 RRU) on Aggregates.
func knownRunByTable(claims, sketches int64) bill.Run {
	r := knownRun()
	agg := &r.Functions[1]
	agg.Tables = meter.Snapshot{}
	put := func(table string, wru int64) {
		if wru > 0 {
			agg.Tables.Add(table, "PutItem", meter.Usage{Calls: 1, Requests: 1, Items: 1,
				WriteUnits: wru})
		}
	}
	put(bill.DedupLogTable, claims)
	put(bill.AggregatesTable, sketches)
	agg.Tables.Add(bill.AggregatesTable, "UpdateItem", meter.Usage{Calls: 100, Requests: 100,
		Items: 100, WriteUnits: 100})
	agg.Tables.Add(bill.AggregatesTable, "GetItem", meter.Usage{Calls: 20, Requests: 20,
		Items: 20, ReadUnits: 40})
	agg.Usage["DynamoDB"]["PutItem"] = agg.Tables[bill.DedupLogTable]["PutItem"].Add(
		agg.Tables[bill.AggregatesTable]["PutItem"])
	agg.Usage["DynamoDB"]["GetItem"] = agg.Tables[bill.AggregatesTable]["GetItem"]
	return r
}

// TestComputeByTable: a run metered by table costs what it costs without the tables, and
// each table's units are priced on its own lines.
func TestComputeByTable(t *testing.T) {
	tests := []struct {
		name                   string
		run                    bill.Run
		claims, aggs, untabled float64 // $ per million events
	}{
		{"not metered by table", func() bill.Run {
			r := knownRunByTable(300, 700)
			r.Functions[1].Tables = nil
			return r
		}(), 0, 0, 0.0000625 + (1100*0.625e-6+40*0.125e-6)*1e3},
		{"log and sketches apart", knownRunByTable(300, 700), 300 * 0.625e-6 * 1e3,
			(800*0.625e-6 + 40*0.125e-6) * 1e3, 0.0000625},
		{"every put on the log", knownRunByTable(1000, 0), 1000 * 0.625e-6 * 1e3,
			(100*0.625e-6 + 40*0.125e-6) * 1e3, 0.0000625},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := bill.Compute(bill.USEast1, tc.run)
			byTable := b.ByTable()
			for _, c := range []struct {
				table     string
				got, want float64
			}{
				{bill.DedupLogTable, byTable[bill.DedupLogTable], tc.claims},
				{bill.AggregatesTable, byTable[bill.AggregatesTable], tc.aggs},
				{"untabled (ingest's read)", byTable[""], tc.untabled},
				{"DynamoDB", b.ByService()[bill.DynamoDB], 0.0000625 +
					(1100*0.625e-6+40*0.125e-6)*1e3},
			} {
				if !near(c.got, c.want) {
					t.Errorf("%s: got %.9f, want %.9f $/M", c.table, c.got, c.want)
				}
			}
		})
	}
}

// TestModelScalesEachTable: at launch (20 aggregate invocations/s, 100,000 events/s,
// from one invocation and 1,000 events) the log's PutItem units grow with events, the
// sketches' PutItems and the rollups' UpdateItems with invocations.
func TestModelScalesEachTable(t *testing.T) {
	tests := []struct {
		name             string
		run              bill.Run
		wruPerSecond     float64
		claimsPerSecond  float64 // WRU/s of the log
		aggsPerSecond    float64 // WRU/s of Aggregates: sketches and rollups
		aggsRRUPerSecond float64
	}{
		{"not metered by table: every put per event", knownRun(),
			100_000 + 20*100, 0, 0, 0},
		{"log 300, sketches 700", knownRunByTable(300, 700),
			30_000 + 20*700 + 20*100, 30_000, 20*700 + 20*100, 20 * 40},
		{"every put on the log", knownRunByTable(1000, 0),
			100_000 + 20*100, 100_000, 20 * 100, 20 * 40},
		{"every put a sketch", knownRunByTable(0, 1000),
			20*1000 + 20*100, 0, 20*1000 + 20*100, 20 * 40},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ours, _ := bill.Model(bill.USEast1, tc.run, bill.Scenario{EventsPerSecond: 100_000})
			if ours.AggregateInvocPerSec != 20 {
				t.Fatalf("got %v invocations/s, want 20", ours.AggregateInvocPerSec)
			}
			perSecond := func(table, unit string) float64 {
				var q float64
				for _, l := range ours.Bill.Lines {
					if l.Service == bill.DynamoDB && l.Table == table && l.Item == unit {
						q += l.Quantity
					}
				}
				return q / 86400
			}
			wru, rru := bill.USEast1.DynamoWRU.Unit, bill.USEast1.DynamoRRU.Unit
			for _, c := range []struct {
				name      string
				got, want float64
			}{
				{"WRU/s", ours.WriteUnitsPerSecond, tc.wruPerSecond},
				{"log WRU/s", perSecond(bill.DedupLogTable, wru), tc.claimsPerSecond},
				{"Aggregates WRU/s", perSecond(bill.AggregatesTable, wru), tc.aggsPerSecond},
				{"Aggregates RRU/s", perSecond(bill.AggregatesTable, rru), tc.aggsRRUPerSecond},
				{"log $/M", ours.Bill.ByTable()[bill.DedupLogTable],
					tc.claimsPerSecond / 100_000 * 0.625},
			} {
				if !near(c.got, c.want) {
					t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
				}
			}
		})
	}
}

// TestModelTableLoads: the launch projection lists each function's DynamoDB load by
// table, with what each operation was scaled by.
func TestModelTableLoads(t *testing.T) {
	ingest := bill.TableLoad{Function: "ingest", Table: "", Ops: map[string]string{
		"GetItem": "request"}, RRUPerSecond: 0.5 * 200 / 2, PerMillion: 0.5 * 100 * 0.125 / 1e5}
	tests := []struct {
		name string
		run  bill.Run
		want []bill.TableLoad
	}{
		{"not metered by table", knownRun(), []bill.TableLoad{ingest,
			{Function: "aggregate", Table: "", Ops: map[string]string{"PutItem": "event",
				"UpdateItem": "invocation"}, WRUPerSecond: 100_000 + 2_000,
				PerMillion: 102_000 * 0.625 / 1e5}}},
		{"log and sketches apart", knownRunByTable(300, 700), []bill.TableLoad{ingest,
			{Function: "aggregate", Table: bill.AggregatesTable, Ops: map[string]string{
				"PutItem": "invocation", "UpdateItem": "invocation", "GetItem": "invocation"},
				WRUPerSecond: 16_000, RRUPerSecond: 800,
				PerMillion: (16_000*0.625 + 800*0.125) / 1e5},
			{Function: "aggregate", Table: bill.DedupLogTable, Ops: map[string]string{
				"PutItem": "event"}, WRUPerSecond: 30_000, PerMillion: 30_000 * 0.625 / 1e5}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ours, _ := bill.Model(bill.USEast1, tc.run, bill.Scenario{EventsPerSecond: 100_000})
			if len(ours.DynamoDB) != len(tc.want) {
				t.Fatalf("got %+v, want %+v", ours.DynamoDB, tc.want)
			}
			for i, got := range ours.DynamoDB {
				w := tc.want[i]
				if got.Function != w.Function || got.Table != w.Table ||
					!maps.Equal(got.Ops, w.Ops) || !near(got.WRUPerSecond, w.WRUPerSecond) ||
					!near(got.RRUPerSecond, w.RRUPerSecond) ||
					!near(got.PerMillion, w.PerMillion) {
					t.Errorf("load %d: got %+v, want %+v", i, got, w)
				}
			}
		})
	}
}
