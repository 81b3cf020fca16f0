package loadgen

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/adpulse/adpulse/shared/bill"
	"github.com/adpulse/adpulse/shared/meter"
)

// Section names this package writes in docs/benchmarks.md.
const (
	SectionPipeline = "Pipeline"
	SectionHotPaths = "Hot paths"
	SectionBill     = "Bill"
)

// Markdown returns the report's sections by name.
func (r Report) Markdown() map[string]string {
	return map[string]string{SectionPipeline: r.pipeline(), SectionHotPaths: r.hotPaths(),
		SectionBill: r.bill()}
}

func (r Report) header(b *strings.Builder) {
	m := r.Machine
	fmt.Fprintf(b, "Measured by `make bench` on %d CPUs (%s), %d MB memory, %s %s.\n\n",
		m.CPUs, m.CPUModel, m.MemoryMB, m.Go, m.OS)
	b.WriteString("Commands:\n\n")
	for _, c := range r.Commands {
		fmt.Fprintf(b, "    %s\n", c)
	}
	b.WriteString("\n")
}

func (r Report) pipeline() string {
	var b strings.Builder
	r.header(&b)
	b.WriteString("The local stack (kumo, 4 ingest and 2 aggregate bootstraps, 2 shards) driven " +
		"over HTTP by the load generator (`devstack/loadgen`): batches of 500 events, one " +
		"probe impression per batch for freshness.\n\n")
	b.WriteString("| run | target ev/s | accepted | accepted ev/s | request p50 / p95 / p99 ms " +
		"| fresh p50 / p99 / max ms | probes seen | settled s | DynamoDB writes per event " +
		"(dedup log + rollup + reach) | WRU per event |\n" +
		"|---|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range r.Steps {
		l, a := s.Load, s.Aggregate
		wru := float64(a.AWS.Service("DynamoDB").WriteUnits)
		name := s.Name
		if !s.Settled {
			name += " (not drained in 1 min)"
		}
		fmt.Fprintf(&b, "| %s | %.0f | %d | %.0f | %.0f / %.0f / %.0f | %.0f / %.0f / %.0f "+
			"| %d of %d | %.1f | %.3f (%.3f + %.3f + %.3f) | %.3f |\n", name, s.Rate,
			l.Accepted, l.EventsPerSecond, l.P50, l.P95, l.P99, l.FreshP50, l.FreshP99,
			l.FreshMax, l.ProbesSeen, l.Probes, l.SettledSeconds,
			per(a.ClaimWrites+a.RowWrites+a.ReachWrites, l.Accepted),
			per(a.ClaimWrites, l.Accepted), per(a.RowWrites, l.Accepted),
			per(a.ReachWrites, l.Accepted), wru/float64(max(1, l.Accepted)))
	}
	b.WriteString("\nMemory after each run (resident MB now / peak):\n\n" +
		"| run | kumo | ingest bootstraps | aggregate bootstraps | other bootstraps |\n" +
		"|---|---|---|---|---|\n")
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", s.Name, memOf(s.Memory, "kumo"),
			memOf(s.Memory, "ingest"), memOf(s.Memory, "aggregate"), memOf(s.Memory, ""))
	}
	b.WriteString(pipelineLimits)
	return b.String()
}

// pipelineLimits says what bounds each figure of the Pipeline section.
const pipelineLimits = `
What limits each number now:

- **Accepted events/s and request latency**: one bootstrap process serves one request at
  a time (4 ingest processes), every request crosses the local API proxy, kumo's runtime
  API and a PutRecords call to kumo, and the 2 cores are shared by the load generator,
  kumo, 4 ingest and 2 aggregate processes and the poller. The 500-event decode and pack
  cost is in "Hot paths".
- **Freshness**: the event source mapping's 1 s batching window, then one aggregate
  invocation per shard at a time, in order (ParallelizationFactor 1, 2 shards). Each
  invocation reads the de-duplication log of each minute its events fall in, appends one
  PutItem per such minute, and makes one UpdateItem per (campaign, rollup) row; kumo
  takes about 2.3 to 4.2 k such writes/s on 2 cores (measured on this kind of machine),
  so once the accepted rate passes what the two
  aggregators can write, a backlog builds and freshness grows with the run's length
  instead of staying near the window.
- **Writes per event**: the de-duplication log takes one write per minute of occurred_at
  in a batch (its units grow by one per ~80 events); rollup writes are per batch and grow
  with the campaigns and ads in a batch (the 10x campaigns run) and shrink as batches
  fill.
- **Memory**: kumo keeps every Kinesis record (never trimmed), so its resident size grows
  with the events sent; the bootstraps stay small.
`

// memOf describes the memory of the processes of one kind: "kumo", a function folder, or
// "" for every other bootstrap.
func memOf(ps []Process, kind string) string {
	var parts []string
	var rss, peak int64
	n := 0
	for _, p := range ps {
		isKumo := p.Name == "kumo"
		switch {
		case kind == "kumo" && isKumo, kind != "kumo" && kind != "" && p.Folder == kind && !isKumo,
			kind == "" && !isKumo && p.Folder != "ingest" && p.Folder != "aggregate":
			n++
			rss, peak = max(rss, p.RSSKB), max(peak, p.PeakKB)
		}
	}
	if n == 0 {
		return "-"
	}
	parts = append(parts, fmt.Sprintf("%.0f / %.0f", float64(rss)/1024, float64(peak)/1024))
	if n > 1 {
		parts = append(parts, fmt.Sprintf("(largest of %d)", n))
	}
	return strings.Join(parts, " ")
}

func (r Report) hotPaths() string {
	var b strings.Builder
	r.header(&b)
	if len(r.GoBench) == 0 {
		b.WriteString("No Go benchmark output was given (`--gobench`).\n")
		return b.String()
	}
	b.WriteString("| package | benchmark | ns/op | B/op | allocs/op | other |\n" +
		"|---|---|---|---|---|---|\n")
	for _, g := range r.GoBench {
		var other []string
		for _, unit := range slices.Sorted(maps.Keys(g.Metrics)) {
			if unit != "ns/op" && unit != "B/op" && unit != "allocs/op" {
				other = append(other, fmt.Sprintf("%.4g %s", g.Metrics[unit], unit))
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %.0f | %.0f | %.0f | %s |\n", g.Package,
			strings.TrimPrefix(g.Name, "Benchmark"), g.Metrics["ns/op"], g.Metrics["B/op"],
			g.Metrics["allocs/op"], strings.Join(other, ", "))
	}
	return b.String()
}

func (r Report) bill() string {
	var b strings.Builder
	r.header(&b)
	services := []string{bill.APIGateway, bill.Lambda, bill.Kinesis, bill.DynamoDB, bill.SQS,
		bill.SES}

	b.WriteString("Dollars per million accepted events of each run, from the meters of the " +
		"functions' SDK calls (`shared/meter`) and their billed duration, priced by " +
		"`shared/bill` (table below). Kinesis shard-hours are in the launch-day model, " +
		"not here: a 20-second run says nothing about them.\n\n")
	b.WriteString("| run | $ / M events | " + strings.Join(services, " | ") +
		" | ingest fn | aggregate fn |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range r.Steps {
		bl := s.Bill(r.Prices)
		bs, bf := bl.ByService(), bl.ByFunction()
		fmt.Fprintf(&b, "| %s | %.4f |", s.Name, bl.PerMillion())
		for _, svc := range services {
			fmt.Fprintf(&b, " %.4f |", bs[svc])
		}
		fmt.Fprintf(&b, " %.4f | %.4f |\n", bf["ingest"], bf["aggregate"])
	}

	b.WriteString("\nWhat the functions' calls used in the first run (from the meters):\n\n" +
		"| function | service.operation | calls | requests | billing units |\n" +
		"|---|---|---|---|---|\n")
	if len(r.Steps) > 0 {
		s := r.Steps[0]
		usageRows(&b, "ingest", s.Ingest)
		usageRows(&b, "aggregate", s.Aggregate)
	}

	if len(r.Launch) == 2 {
		r.launch(&b)
	}

	b.WriteString(billLimits)
	fmt.Fprintf(&b, "\nPrices (%s, on-demand, checked %s):\n\n"+
		"| item | USD | per | status | source |\n"+
		"|---|---|---|---|---|\n", r.Prices.Region, r.Prices.Date)
	for _, p := range r.Prices.Table() {
		fmt.Fprintf(&b, "| %s | %g | %g | %s | %s |\n", p.Unit, p.USD, p.Per, p.Status, p.Source)
	}
	return b.String()
}

// billLimits says what sets the bill and which knobs move it.
const billLimits = `
What sets the bill, and the knobs:

- **Exactly-once** (aggregate, DynamoDB PutItem on CLAIMS_TABLE, the de-duplication log):
  one item per shard, batch and minute of occurred_at, holding a 12-byte fingerprint per
  counted event and a few bytes per record (format 2, since session 8; 22 bytes per event
  and the decimal sequence number per record in format 1), so about one write unit per 80
  events plus one per minute a batch touches; the Query that reads the log back is a read
  unit or two per minute per batch. The model scales the log's PutItem units with events
  and everything else of the aggregate function with its invocations (the table above).
  The local stack writes format 2 as AWS does (kumo's zero-padded sequence numbers go in
  with their width, logformat.go). Every
  copy of an event reaches the same shard (the partition key's salt comes from the event
  id), which is what lets one shard's log stand in for a write per event (design.md).
- **Reach sketches** (GetItem and PutItem on AGGREGATES_TABLE): one HyperLogLog per
  (campaign, hour, shard), read and written whole by every batch that adds someone to
  it. Sparse while small (a few hundred bytes to a few KB in a 10-second run), dense at
  16,392 bytes (17 WRU a write, 4 RRU a read) from ~20,000 people; at launch each shard's
  sketch of a busy campaign is dense within minutes, so a sketch costs ~17 WRU per
  campaign, shard and invocation: ~$0.0018 per million events for every campaign whose
  impressions reach all 17 shards, more than the run's sparse sketches show. The knob
  would be writing a sketch at most once per N seconds, which needs the people it has not
  written kept past the batch that read them (not safe with checkpoints as they are).
- **Rollup writes** (UpdateItem, one per (campaign, rollup, shard) row per batch): set by
  the ESM batch size (1,000 records, what a shard takes in a second, so the 1 s window
  closes batches) and window, the campaigns and ads per batch, and PARTITION_SALTS (16):
  salting spreads a campaign over up to 16 hash ranges, so more rows per campaign per
  batch. Bigger batches per shard (fewer shards, or a longer window, which costs
  freshness) make fewer rows per event. At launch the rollup writes are shards x rows per
  invocation, so the shard count is the lever. The launch-day model keeps an
  invocation's rows as measured while its records grow to a second of its shard: true
  while the campaigns and ads in a batch stay as few as in the run (the 10x campaigns run
  shows what many campaigns per batch cost).
- **Kinesis**: events per record (packed by tenant, campaign and salt, at most 25 KB of
  JSON) set PUT units and records/s; records are S2-compressed (RECORD_CODEC, about 2.2
  times smaller), and the launch shard count is the larger of bytes / 1 MB/s (exact bytes
  from the meter) and records / 1,000/s. Compressing does not change the records/s: at
  about 8 events per record the record limit alone would need 14 shards. Fewer salts would
  make fuller records, but moving an event id to another partition key moves its copies
  to another shard's de-duplication log (design.md), so the salt count is not changed on
  a live stream.
- **API Gateway**: one REST request per batch of up to 500 events; senders that batch
  less pay proportionally more ($3.50 per million requests).
- **Lambda**: GB-seconds are the bootstraps' billed duration measured here against kumo,
  so the aggregate's are kumo's write latency, not DynamoDB's; treat them as an upper
  bound. CloudWatch Logs ingestion of the outcome lines is not counted.
`

// usageRows lists a function's usage by service and operation; DynamoDB by table too,
// when the function's log had it (its tables sum to each operation's total).
func usageRows(b *strings.Builder, fn string, u FunctionUsage) {
	for _, svc := range slices.Sorted(maps.Keys(u.AWS)) {
		if svc == "DynamoDB" && len(u.Tables) > 0 {
			for _, table := range slices.Sorted(maps.Keys(u.Tables)) {
				for _, op := range slices.Sorted(maps.Keys(u.Tables[table])) {
					usageRow(b, fn, "DynamoDB."+op+" on "+table, u.Tables[table][op])
				}
			}
			continue
		}
		for _, op := range slices.Sorted(maps.Keys(u.AWS[svc])) {
			usageRow(b, fn, svc+"."+op, u.AWS[svc][op])
		}
	}
	fmt.Fprintf(b, "| %s | Lambda | %d invocations | | %.2f GB-s |\n", fn, u.Invocations,
		u.GBSeconds)
}

func usageRow(b *strings.Builder, fn, what string, x meter.Usage) {
	var units []string
	add := func(name string, v float64) {
		if v != 0 {
			units = append(units, fmt.Sprintf("%g %s", v, name))
		}
	}
	add("records", float64(x.Records))
	add("PUT units", float64(x.PutUnits))
	add("WRU", float64(x.WriteUnits))
	add("RRU", x.ReadUnits)
	add("SQS units", float64(x.SQSUnits))
	add("emails", float64(x.Emails))
	fmt.Fprintf(b, "| %s | %s | %d | %d | %s |\n", fn, what, x.Calls, x.Requests,
		strings.Join(units, ", "))
}

func (r Report) launch(b *strings.Builder) {
	ours, naive := r.Launch[0], r.Launch[1]
	fmt.Fprintf(b, "\nLaunch day: %.0f events/s for %.0f h, modelled from the first run "+
		"(`bill.Model`), against the naive design computed from the same measurements:\n\n",
		r.Scenario.EventsPerSecond, r.Scenario.Hours)
	b.WriteString("| design | API req/s | Kinesis records/s | MB/s | shards | aggregate " +
		"invocations/s | DynamoDB WRU/s | $ / M events | $ / day | $ / 30 days |\n" +
		"|---|---|---|---|---|---|---|---|---|---|\n")
	for _, p := range r.Launch {
		fmt.Fprintf(b, "| %s | %.0f | %.0f | %.1f | %d | %.0f | %.0f | %.4f | %.0f | %.0f |\n",
			p.Design, p.APIRequestsPerSecond, p.RecordsPerSecond, p.MBPerSecond, p.Shards,
			p.AggregateInvocPerSec, p.WriteUnitsPerSecond, p.Bill.PerMillion(), p.PerDay,
			p.PerMonth)
	}
	fmt.Fprintf(b, "\nNaive costs %.1f times as much per event.\n\n",
		naive.Bill.PerMillion()/max(ours.Bill.PerMillion(), 1e-12))
	b.WriteString("| design | " + strings.Join(ours.Bill.Services(), " | ") +
		" | ingest fn | aggregate fn | stream |\n|---|" +
		strings.Repeat("---|", len(ours.Bill.Services())+3) + "\n")
	for _, p := range r.Launch {
		bs, bf := p.Bill.ByService(), p.Bill.ByFunction()
		fmt.Fprintf(b, "| %s $/M |", p.Design)
		for _, svc := range ours.Bill.Services() {
			fmt.Fprintf(b, " %.4f |", bs[svc])
		}
		fmt.Fprintf(b, " %.4f | %.4f | %.4f |\n", bf["ingest"], bf["aggregate"], bf["stream"])
	}
	fmt.Fprintf(b, "\nKinesis on-demand instead of %d provisioned shards and PUT units: "+
		"$%.0f a day.\n", ours.Shards, ours.KinesisOnDemandPerDay)
	launchTables(b, ours)
}

// launchTables breaks the launch model's DynamoDB bill down by function and table, with
// what each operation was scaled by.
func launchTables(b *strings.Builder, p bill.Projection) {
	if len(p.DynamoDB) == 0 {
		return
	}
	b.WriteString("\nDynamoDB at launch by table (label: the variable naming the table in " +
		"the function's environment; each operation scaled by what drives it):\n\n" +
		"| function | table | operations (scaled by) | WRU/s | RRU/s | $ / M events |\n" +
		"|---|---|---|---|---|---|\n")
	var total float64
	for _, l := range p.DynamoDB {
		var ops []string
		for _, op := range slices.Sorted(maps.Keys(l.Ops)) {
			ops = append(ops, fmt.Sprintf("%s (%s)", op, l.Ops[op]))
		}
		table := l.Table
		if table == "" {
			table = "(not metered by table)"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %.0f | %.0f | %.4f |\n", l.Function, table,
			strings.Join(ops, ", "), l.WRUPerSecond, l.RRUPerSecond, l.PerMillion)
		total += l.PerMillion
	}
	fmt.Fprintf(b, "| all | | | %.0f | | %.4f |\n", p.WriteUnitsPerSecond, total)
}

func per(n, events int) float64 { return float64(n) / float64(max(1, events)) }
