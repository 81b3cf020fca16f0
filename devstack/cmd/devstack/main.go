// Command devstack runs adpulse's AWS stack locally (see package devstack).
//
//	devstack up                    start the stack in the background (make up)
//	devstack down                  stop it (make down)
//	devstack run --data DIR        start the stack, replay DIR through it, report (make run)
//	devstack serve                 run the stack in the foreground until SIGINT or SIGTERM
//	devstack totals [--tenant T]   print the campaign totals of the running stack
//	devstack bench [flags]         bounded load, freshness and bill on a private stack
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/adpulse/adpulse/devstack"
)

// Demo tenant created in every stack that up, serve or run starts, with
// accounts.CreateTenant: its admin signs in with demoEmail and a generated password.
const (
	demoName  = "Demo"
	demoEmail = "demo@example.com"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx := context.Background()
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "up":
		err = up(ctx, args)
	case "down":
		err = down(args)
	case "serve":
		err = serve(ctx, args)
	case "run":
		err = run(ctx, args)
	case "totals":
		err = totals(ctx, args)
	case "bench":
		err = bench(ctx, args)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "devstack:", err)
		os.Exit(1)
	}
}

// usage prints the subcommands and exits.
func usage() {
	fmt.Fprintln(os.Stderr, "usage: devstack up|down|run|serve|totals|bench [flags]")
	os.Exit(2)
}

// stackFlags are the flags shared by up, serve and run.
type stackFlags struct {
	kumoPort, apiPort int
	redeliver         bool
	root              string
}

// register adds the shared flags to fs.
func (f *stackFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&f.kumoPort, "kumo-port", 4566, "kumo port on 127.0.0.1 (0: any free port)")
	fs.IntVar(&f.apiPort, "api-port", 3000, "API port on 127.0.0.1 (0: any free port)")
	fs.BoolVar(&f.redeliver, "redeliver", false,
		"deliver every Kinesis batch twice, as a Lambda retry would")
	fs.StringVar(&f.root, "root", "", "repository root (default: nearest go.mod)")
}

// config returns the stack configuration of the flags.
func (f *stackFlags) config(log *slog.Logger) (devstack.Config, error) {
	root := f.root
	if root == "" {
		var err error
		if root, err = devstack.FindRoot(); err != nil {
			return devstack.Config{}, err
		}
	}
	return devstack.Config{Root: root, KumoPort: f.kumoPort, APIPort: f.apiPort,
		Redeliver: f.redeliver, Log: log, StateDir: filepath.Join(root, ".devstack")}, nil
}

// statePath returns the state file of the stack of the repository at root.
func statePath(root string) string {
	return filepath.Join(root, ".devstack", "state.json")
}
