package bill

import (
	"maps"
	"math"
	"slices"

	"github.com/adpulse/adpulse/shared/meter"
)

// Kinesis limits of one provisioned shard.
const (
	ShardBytesPerSecond   = 1 << 20
	ShardRecordsPerSecond = 1000
)

// Scenario is a modelled day of traffic and the knobs that set its bill.
type Scenario struct {
	EventsPerSecond float64 // e.g. 100,000 on launch day
	Hours           float64 // length of the period; default 24
	// records per aggregate invocation at most (ESM batch size); default 100
	BatchRecords int
	EventBytes   float64 // JSON bytes of one event in the naive design; default 300
}

// Projection is a design's bill over a scenario's period.
type Projection struct {
	Design               string  `json:"design"`
	EventsPerSecond      float64 `json:"events_per_second"`
	APIRequestsPerSecond float64 `json:"api_requests_per_second"`
	RecordsPerSecond     float64 `json:"records_per_second"`
	MBPerSecond          float64 `json:"mb_per_second"`
	Shards               int     `json:"shards"`
	AggregateInvocPerSec float64 `json:"aggregate_invocations_per_second"`
	WriteUnitsPerSecond  float64 `json:"dynamodb_wru_per_second"`
	// KinesisOnDemandPerDay is an on-demand stream instead of shards and PUT units.
	KinesisOnDemandPerDay float64 `json:"kinesis_on_demand_usd_per_day"`
	// DynamoDB is each function's DynamoDB load by table (not set for naive).
	DynamoDB []TableLoad `json:"dynamodb_tables,omitempty"`
	Bill     Bill        `json:"bill"`
	PerDay   float64     `json:"usd_per_day"`
	PerMonth float64     `json:"usd_per_30_days"`
}

// Model projects the measured run r to the scenario's rate, and the naive design (one
// API request, one Lambda invocation, one Kinesis record and one DynamoDB write per event)
// to the same rate, from the same measurements.
//
// adpulse: ingest work scales with API requests (events per request as measured), the
// aggregate function's de-duplication log writes (DynamoDB PutItem on DedupLogTable,
// whose write units grow with the events logged) with events and the rest of its work
// with its invocations, one per full ESM batch per shard and at least one per shard per
// second (the 1 s batching window): the rollup UpdateItems and the reach sketches'
// GetItems and PutItems on AggregatesTable among them. A run not metered by table prices
// every aggregate PutItem per event (PerEvent). Shards are what the measured record rate
// and record size need. Other functions scale with events.
//
// naive: each event costs what one measured ingest invocation costs in Lambda, one
// 1-PUT-unit record, one write of one unit; its consumer reads batches of BatchRecords
// single-event records and costs per invocation what the measured aggregate invocation
// costs in Lambda.
func Model(p Prices, r Run, s Scenario) (ours, naive Projection) {
	s = s.withDefaults()
	return modelOurs(p, r, s), modelNaive(p, r, s)
}

func (s Scenario) withDefaults() Scenario {
	if s.Hours == 0 {
		s.Hours = 24
	}
	if s.BatchRecords == 0 {
		s.BatchRecords = 100
	}
	if s.EventBytes == 0 {
		s.EventBytes = 300
	}
	return s
}

func modelOurs(p Prices, r Run, s Scenario) Projection {
	secs := s.Hours * 3600
	ev := float64(r.Events)
	in, agg := r.Function("ingest"), r.Function("aggregate")
	k := in.Usage.Service("Kinesis")

	perRequest := ratio(ev, float64(in.APIRequests))
	reqPerSec := ratio(s.EventsPerSecond, perRequest)
	recPerSec := s.EventsPerSecond * ratio(float64(k.Records), ev)
	bytesPerSec := recPerSec * ratio(recordBytes(k), float64(k.Records))
	shards := shardsFor(recPerSec, bytesPerSec)
	aggPerSec := invocationsPerSecond(recPerSec, shards, s.BatchRecords)

	day := Run{Events: int64(s.EventsPerSecond * secs), ShardHours: float64(shards) * s.Hours}
	day.Functions = append(day.Functions,
		scaleFunction(in, ratio(reqPerSec*secs, float64(in.Invocations)), nil),
		scaleFunction(agg, ratio(aggPerSec*secs, float64(agg.Invocations)),
			func(table, op string) float64 {
				if PerEvent(agg, table, op) { // the dedup log: units per event
					return ratio(s.EventsPerSecond*secs, ev)
				}
				return -1
			}))
	for _, f := range r.Functions {
		if f.Name != "ingest" && f.Name != "aggregate" {
			day.Functions = append(day.Functions,
				scaleFunction(f, ratio(s.EventsPerSecond*secs, ev), nil))
		}
	}
	out := project("adpulse", p, day, s, reqPerSec, recPerSec, bytesPerSec, shards, aggPerSec,
		float64(k.RecordKB)*ratio(s.EventsPerSecond*secs, ev))
	out.DynamoDB = tableLoads(p, day, secs, func(fn, table, op string) string {
		switch {
		case fn == "ingest":
			return "request"
		case fn == "aggregate" && !PerEvent(agg, table, op):
			return "invocation"
		}
		return "event"
	})
	return out
}

// TableLoad is one DynamoDB table's share of a projection, for one function.
type TableLoad struct {
	Function string `json:"function"`
	Table    string `json:"table"` // label; "" for a function not metered by table
	// Ops is what each operation on the table is scaled by: "event", "invocation" (of
	// the aggregate function) or "request" (to the ingest function).
	Ops          map[string]string `json:"ops"`
	WRUPerSecond float64           `json:"wru_per_second"`
	RRUPerSecond float64           `json:"rru_per_second"`
	PerMillion   float64           `json:"usd_per_million_events"`
}

// tableLoads lists the DynamoDB load of each function and table of a projected day,
// by function, then table.
func tableLoads(p Prices, day Run, secs float64,
	scaledBy func(fn, table, op string) string) []TableLoad {
	var out []TableLoad
	for _, f := range day.Functions {
		tables := f.Tables
		if len(tables) == 0 {
			tables = meter.Snapshot{"": f.Usage["DynamoDB"]}
		}
		for _, table := range slices.Sorted(maps.Keys(tables)) {
			u := tables.Service(table)
			if u.WriteUnits == 0 && u.ReadUnits == 0 {
				continue
			}
			l := TableLoad{Function: f.Name, Table: table, Ops: map[string]string{},
				WRUPerSecond: float64(u.WriteUnits) / secs, RRUPerSecond: u.ReadUnits / secs,
				PerMillion: perMillion(float64(u.WriteUnits)*p.DynamoWRU.Each()+
					u.ReadUnits*p.DynamoRRU.Each(), float64(day.Events))}
			for op := range tables[table] {
				l.Ops[op] = scaledBy(f.Name, table, op)
			}
			out = append(out, l)
		}
	}
	return out
}

func modelNaive(p Prices, r Run, s Scenario) Projection {
	secs := s.Hours * 3600
	events := s.EventsPerSecond * secs
	in, agg := r.Function("ingest"), r.Function("aggregate")
	bytesPerSec := s.EventsPerSecond * s.EventBytes
	shards := shardsFor(s.EventsPerSecond, bytesPerSec)
	aggPerSec := invocationsPerSecond(s.EventsPerSecond, shards, s.BatchRecords)
	recordKB := math.Ceil(s.EventBytes / 1024)

	day := Run{Events: int64(events), ShardHours: float64(shards) * s.Hours}
	day.Functions = []Function{
		{Name: "ingest", APIRequests: int64(events), Invocations: int64(events),
			GBSeconds: events * ratio(in.GBSeconds, float64(in.Invocations)),
			Usage: meter.Snapshot{"Kinesis": {"PutRecord": {Calls: int64(events),
				Records: int64(events), PutUnits: int64(events),
				RecordKB: int64(events * recordKB)}}}},
		{Name: "aggregate", Invocations: int64(aggPerSec * secs),
			GBSeconds: aggPerSec * secs * ratio(agg.GBSeconds, float64(agg.Invocations)),
			Usage: meter.Snapshot{"DynamoDB": {"UpdateItem": {Calls: int64(events),
				Items: int64(events), WriteUnits: int64(events)}}}},
	}
	return project("naive", p, day, s, s.EventsPerSecond, s.EventsPerSecond, bytesPerSec,
		shards, aggPerSec, events*recordKB)
}

func project(design string, p Prices, day Run, s Scenario, reqPerSec, recPerSec,
	bytesPerSec float64, shards int, aggPerSec, recordKB float64) Projection {
	b := Compute(p, day)
	secs := s.Hours * 3600
	var wru float64
	for _, f := range day.Functions {
		wru += float64(f.Usage.Service("DynamoDB").WriteUnits)
	}
	onDemand := s.Hours*p.KinesisODStream.Each() +
		recordKB/(1<<20)*(p.KinesisODDataIn.Each()+p.KinesisODDataOut.Each())
	perDay := b.USD * 24 / s.Hours
	return Projection{Design: design, EventsPerSecond: s.EventsPerSecond,
		APIRequestsPerSecond: reqPerSec, RecordsPerSecond: recPerSec,
		MBPerSecond: bytesPerSec / (1 << 20), Shards: shards, AggregateInvocPerSec: aggPerSec,
		WriteUnitsPerSecond: wru / secs, KinesisOnDemandPerDay: onDemand * 24 / s.Hours,
		Bill: b, PerDay: perDay, PerMonth: perDay * 30}
}

// recordBytes is the data the stream took, exact when the meter counted bytes (a shard
// takes 1 MB/s of data and partition keys), else each record rounded up to 1 KB.
func recordBytes(k meter.Usage) float64 {
	if k.Bytes > 0 {
		return float64(k.Bytes)
	}
	return float64(k.RecordKB) * 1024
}

// shardsFor returns the provisioned shards a write rate needs.
func shardsFor(recordsPerSec, bytesPerSec float64) int {
	return max(1, int(math.Ceil(recordsPerSec/ShardRecordsPerSecond)),
		int(math.Ceil(bytesPerSec/ShardBytesPerSecond)))
}

// invocationsPerSecond is one invocation per full batch per shard, and at least one per
// shard per second while records arrive (the batching window).
func invocationsPerSecond(recordsPerSec float64, shards, batch int) float64 {
	perShard := recordsPerSec / float64(shards)
	return float64(shards) * math.Max(1, perShard/float64(batch))
}

// Table labels of the aggregate function's tables (meter.TableLabels: the environment
// variable that names each).
const (
	// DedupLogTable is the de-duplication log: one item per shard, batch and minute, whose
	// write units grow with the events logged.
	DedupLogTable = "CLAIMS_TABLE"
	// AggregatesTable holds the rollup rows (UpdateItem) and the reach sketches
	// (GetItem, PutItem): one per campaign, rollup or hour, and shard a batch touches.
	AggregatesTable = "AGGREGATES_TABLE"
)

// PerEvent reports whether the launch model scales an operation of the aggregate function
// with events rather than invocations: the de-duplication log's PutItems. table is the
// operation's table label, "" for the operation's total when f was not metered by table:
// then every PutItem is taken for the log's (the reach sketches' are counted with it, an
// upper bound).
func PerEvent(f Function, table, op string) bool {
	if op != "PutItem" {
		return false
	}
	return table == DedupLogTable || table == "" && len(f.Tables) == 0
}

// scaleFunction multiplies a function's counts by factor; perOp, when it returns a
// factor of zero or more for a DynamoDB table label and operation, overrides factor for
// it. Where f was metered by table, its DynamoDB operations are the sums of their scaled
// tables; else perOp is asked with the table "" for each DynamoDB operation.
func scaleFunction(f Function, factor float64, perOp func(table, op string) float64) Function {
	out := Function{Name: f.Name, APIRequests: round(float64(f.APIRequests) * factor),
		Invocations: round(float64(f.Invocations) * factor), GBSeconds: f.GBSeconds * factor,
		Usage: meter.Snapshot{}}
	k := func(table, op string) float64 {
		if perOp != nil {
			if v := perOp(table, op); v >= 0 {
				return v
			}
		}
		return factor
	}
	byTable := map[string]bool{} // DynamoDB operations metered by table
	if len(f.Tables) > 0 {
		out.Tables = meter.Snapshot{}
		for table, ops := range f.Tables {
			for op, u := range ops {
				v := scaleUsage(u, k(table, op))
				out.Tables.Add(table, op, v)
				out.Usage.Add("DynamoDB", op, v)
				byTable[op] = true
			}
		}
	}
	for svc, ops := range f.Usage {
		for op, u := range ops {
			switch {
			case svc != "DynamoDB":
				out.Usage.Add(svc, op, scaleUsage(u, factor))
			case !byTable[op]:
				out.Usage.Add(svc, op, scaleUsage(u, k("", op)))
			}
		}
	}
	return out
}

func scaleUsage(u meter.Usage, k float64) meter.Usage {
	s := func(v int64) int64 { return round(float64(v) * k) }
	return meter.Usage{Calls: s(u.Calls), Requests: s(u.Requests), Errors: s(u.Errors),
		Records: s(u.Records), PutUnits: s(u.PutUnits), RecordKB: s(u.RecordKB), Bytes: s(u.Bytes),
		Items: s(u.Items), WriteUnits: s(u.WriteUnits), ReadUnits: u.ReadUnits * k,
		SQSUnits: s(u.SQSUnits), Messages: s(u.Messages), Emails: s(u.Emails)}
}

func round(v float64) int64 { return int64(math.Round(v)) }

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
