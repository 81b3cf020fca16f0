package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/adpulse/adpulse/devstack"
	"github.com/adpulse/adpulse/devstack/kumo"
	"github.com/adpulse/adpulse/devstack/loadgen"
	"github.com/adpulse/adpulse/devstack/template"
	"github.com/adpulse/adpulse/shared/bill"
	totalsreader "github.com/adpulse/adpulse/shared/totals"
)

// benchFlags are the flags of bench.
type benchFlags struct {
	rate          float64
	duration      time.Duration
	campaigns     int
	scales        string
	campaignScale int
	senders       int
	format        string
	goBench       string
	doc           string
	launchRate    float64
}

// bench starts a private stack (free ports, its own state directory), runs the load at
// each traffic scale and at campaignScale times the campaigns, and prints the figures;
// with --doc it also rewrites the Pipeline, Hot paths and Bill sections of that file.
func bench(ctx context.Context, args []string) error {
	var f benchFlags
	fs := flag.NewFlagSet("bench", flag.ExitOnError)
	fs.Float64Var(&f.rate, "rate", 2000, "target events/s of the 1x run")
	fs.DurationVar(&f.duration, "duration", 10*time.Second, "sending time of each run")
	fs.IntVar(&f.campaigns, "campaigns", 4, "campaigns of the generated traffic")
	fs.StringVar(&f.scales, "scale", "1,2,4", "traffic multiples to run")
	fs.IntVar(&f.campaignScale, "campaign-scale", 10, "campaign multiple of the last run (0: none)")
	fs.IntVar(&f.senders, "senders", 8, "concurrent HTTP senders")
	fs.StringVar(&f.format, "format", "table", "report format: table or json")
	fs.StringVar(&f.goBench, "gobench", "", "file of `go test -bench` output to report")
	fs.StringVar(&f.doc, "doc", "", "markdown file whose sections to rewrite (docs/benchmarks.md)")
	fs.Float64Var(&f.launchRate, "launch-rate", 100_000, "events/s of the modelled launch day")
	_ = fs.Parse(args)
	if f.format != "table" && f.format != "json" {
		return fmt.Errorf("--format %q: want table or json", f.format)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	report, err := runBench(ctx, f)
	if err != nil {
		return err
	}
	if err := printReport(report, f.format); err != nil {
		return err
	}
	if f.doc == "" {
		return nil
	}
	order := []string{loadgen.SectionPipeline, loadgen.SectionHotPaths, loadgen.SectionBill}
	return loadgen.UpdateDoc(f.doc, order, report.Markdown())
}

// printReport writes the report to stdout as JSON or as the markdown tables.
func printReport(report loadgen.Report, format string) error {
	if format == "json" {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	md := report.Markdown()
	for _, name := range []string{loadgen.SectionPipeline, loadgen.SectionBill} {
		fmt.Printf("## %s\n\n%s\n", name, md[name])
	}
	return nil
}

// runBench starts the stack and runs every step of the benchmark on it.
func runBench(ctx context.Context, f benchFlags) (loadgen.Report, error) {
	r := loadgen.Report{Machine: loadgen.ThisMachine(), Prices: bill.USEast1,
		Commands: []string{"make bench  # runs the two below",
			"go test -run '^$' -bench . -benchmem ./shared/... ./functions/...",
			fmt.Sprintf("go run ./devstack/cmd/devstack bench --rate %g --duration %s "+
				"--campaigns %d --scale %s --campaign-scale %d --senders %d", f.rate, f.duration,
				f.campaigns, f.scales, f.campaignScale, f.senders)}}
	if f.goBench != "" {
		if raw, err := os.Open(f.goBench); err == nil {
			r.GoBench = loadgen.ParseGoBench(raw)
			raw.Close()
		}
	}

	root, err := devstack.FindRoot()
	if err != nil {
		return r, err
	}
	stateDir, err := os.MkdirTemp("", "adpulse-bench-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(stateDir)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	stack, err := devstack.Start(ctx, devstack.Config{Root: root, Log: log, StateDir: stateDir})
	if err != nil {
		return r, err
	}
	defer stack.Close()
	creds, err := stack.CreateAccount(ctx, "Bench", "bench@example.com")
	if err != nil {
		return r, err
	}
	reader := &totalsreader.Reader{DB: dynamodb.NewFromConfig(kumo.Config(stack.Endpoint())),
		Table: stack.Physical("Aggregates")}

	for i, st := range benchSteps(f) {
		fmt.Fprintf(os.Stderr, "bench: %s: %.0f events/s for %s, %d campaigns\n", st.Name,
			st.Rate, f.duration, st.Campaigns)
		ingestLog, aggLog := stack.LogPath("ingest"), stack.LogPath("aggregate")
		inOff, aggOff := loadgen.LogSize(ingestLog), loadgen.LogSize(aggLog)
		st.Load, err = loadgen.Run(ctx, loadgen.Options{APIURL: stack.APIURL(),
			APIKey: creds.APIKey, Tenant: creds.TenantID, Totals: reader, Rate: st.Rate,
			MaxEvents: int(st.Rate * f.duration.Seconds()), Duration: f.duration * 3 / 2,
			Senders: f.senders, Campaigns: st.Campaigns, Seed: int64(i + 1)})
		if err != nil {
			return r, fmt.Errorf("%s: %w", st.Name, err)
		}
		// A stack that does not drain in time is a result, not a failure: the step
		// reports what was counted by then.
		settle, cancel := context.WithTimeout(ctx, time.Minute)
		st.Settled = stack.WaitSettled(settle, time.Second) == nil
		cancel()
		st.Memory = loadgen.Memory(stack.PIDs())
		if st.Ingest, err = loadgen.ReadUsage(ingestLog, inOff); err != nil {
			return r, err
		}
		if st.Aggregate, err = loadgen.ReadUsage(aggLog, aggOff); err != nil {
			return r, err
		}
		r.Steps = append(r.Steps, st)
	}
	r.Model(bill.Scenario{EventsPerSecond: f.launchRate, Hours: 24,
		BatchRecords: streamBatchSize(stack)})
	return r, nil
}

// streamBatchSize is the largest batch size of the template's Kinesis event source
// mappings (the aggregate function's), 0 when there is none (the model's default).
func streamBatchSize(stack *devstack.Stack) int {
	tpl, vals := stack.Template()
	ms, err := vals.Mappings()
	if err != nil {
		return 0
	}
	size := 0
	for _, m := range ms {
		if tpl.Resources[m.SourceID].Type == template.TypeStream {
			size = max(size, m.BatchSize)
		}
	}
	return size
}

// benchSteps lists the runs: each traffic scale, then the campaign scale.
func benchSteps(f benchFlags) []loadgen.Step {
	var steps []loadgen.Step
	for _, s := range strings.Split(f.scales, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			continue
		}
		steps = append(steps, loadgen.Step{Name: fmt.Sprintf("%dx traffic", n),
			Rate: f.rate * float64(n), Campaigns: f.campaigns})
	}
	if f.campaignScale > 0 {
		steps = append(steps, loadgen.Step{Name: fmt.Sprintf("%dx campaigns", f.campaignScale),
			Rate: f.rate, Campaigns: f.campaigns * f.campaignScale})
	}
	return steps
}
