package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/adpulse/adpulse/devstack"
	"github.com/adpulse/adpulse/devstack/scenario"
)

// runOptions are the flags of run that the replay hook reads.
type runOptions struct {
	Data   string // directory of event files; empty: generated traffic
	Format string // report format: table or json
	APIKey string // the demo tenant's ingest key
	Tenant string // the demo tenant's id
	Email  string // the demo admin's email and password, for the alert rules
	Secret string
	Count  int // generated impressions when Data is empty
}

// run starts the stack, creates the demo tenant, replays the data through the API and
// reports. Ctrl-C stops everything cleanly.
func run(ctx context.Context, args []string) error {
	var f stackFlags
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	f.register(fs)
	var opts runOptions
	fs.StringVar(&opts.Data, "data", "", "directory of event files (empty: generated)")
	fs.StringVar(&opts.Format, "format", "table", "report format: table or json")
	fs.IntVar(&opts.Count, "count", 20000, "generated impressions when --data is empty")
	_ = fs.Parse(args)
	if opts.Format != "table" && opts.Format != "json" {
		return fmt.Errorf("--format %q: want table or json", opts.Format)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg, err := f.config(log)
	if err != nil {
		return err
	}
	stack, err := devstack.Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer stack.Close()
	creds, err := stack.CreateAccount(ctx, demoName, demoEmail)
	if err != nil {
		return err
	}
	opts.APIKey, opts.Tenant = creds.APIKey, creds.TenantID
	opts.Email, opts.Secret = creds.AdminEmail, creds.AdminPassword
	fmt.Fprintf(os.Stderr, "demo tenant %s: sign in as %s, password %s "+
		"(until the run ends; make up keeps a stack running)\n", creds.TenantID,
		creds.AdminEmail, creds.AdminPassword)
	if err := replayAndReport(ctx, stack, opts); err != nil {
		return err
	}
	return stack.Close()
}

// replayAndReport replays the input through the stack, waits for the totals to settle
// and prints them with the run's measurements. It fails when generated traffic does not
// add up to what the generator sent.
func replayAndReport(ctx context.Context, stack *devstack.Stack, opts runOptions) error {
	in, err := scenario.Load(opts.Data, opts.Tenant, opts.Count)
	if err != nil {
		return err
	}
	alerts, err := setupAlerts(ctx, stack, opts.Email, opts.Secret, &in)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "replaying %s through %s\n", in.Source, stack.APIURL())

	res, err := scenario.Run(ctx, stack, opts.Tenant, opts.APIKey, in, os.Stderr)
	if err != nil {
		return err
	}
	alerts.nameBySource(res.Campaigns)
	if opts.Format == "json" {
		err = scenario.PrintJSON(os.Stdout, res)
	} else {
		err = scenario.PrintTable(os.Stdout, res)
	}
	if err != nil {
		return err
	}
	out := os.Stdout
	if opts.Format == "json" {
		out = os.Stderr // keep standard output one JSON document
	}
	if err := alerts.print(ctx, stack, out); err != nil {
		return err
	}
	if len(res.Problems) > 0 {
		return fmt.Errorf("%d campaigns differ from the expected totals", len(res.Problems))
	}
	return nil
}
