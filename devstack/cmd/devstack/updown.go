package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/adpulse/adpulse/devstack"
	"github.com/adpulse/adpulse/devstack/kumo"
	"github.com/adpulse/adpulse/devstack/proc"
)

// State is what up leaves in .devstack/state.json for down, and for people.
type State struct {
	PID      int    `json:"pid"`
	APIURL   string `json:"apiUrl"`
	Endpoint string `json:"kumoEndpoint"`
	TenantID string `json:"tenantId"`
	APIKey   string `json:"apiKey"`
	// The demo tenant's admin (mode 0600 file, as for the key).
	AdminEmail    string `json:"adminEmail"`
	AdminPassword string `json:"adminPassword"`
	// Physical names of the tables `adpulse tenant create` writes to.
	AccountsTable string `json:"accountsTable"`
	APIKeysTable  string `json:"apiKeysTable"`
	Children      []int  `json:"children"` // process groups of kumo and the bootstraps
	Log           string `json:"log"`
}

// up starts serve detached (its own session) and waits until it is serving.
func up(ctx context.Context, args []string) error {
	var f stackFlags
	fs := flag.NewFlagSet("up", flag.ExitOnError)
	f.register(fs)
	_ = fs.Parse(args)
	cfg, err := f.config(nil)
	if err != nil {
		return err
	}
	path := statePath(cfg.Root)
	if st, err := readState(path); err == nil && proc.Alive(st.PID) {
		fmt.Printf("already up (pid %d)\n", st.PID)
		printState(os.Stdout, st)
		return nil
	}
	if f.kumoPort != 0 && !kumo.PortFree(f.kumoPort) {
		return fmt.Errorf("port 127.0.0.1:%d is taken: another kumo or LocalStack is "+
			"running (make down, or pass --kumo-port)", f.kumoPort)
	}
	if f.apiPort != 0 && !kumo.PortFree(f.apiPort) {
		return fmt.Errorf("port 127.0.0.1:%d is taken (make down, or pass --api-port)",
			f.apiPort)
	}
	_ = os.Remove(path)

	// Re-run this binary as "serve" in a new session, logging to .devstack/logs.
	logPath := filepath.Join(cfg.StateDir, "logs", "devstack.log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return fmt.Errorf("log dir: %w", err)
	}
	logf, err := proc.OpenLog(logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable: %w", err)
	}
	cmd := exec.Command(self, append([]string{"serve"}, args...)...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = cfg.Root, logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start serve: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	fmt.Printf("starting the local stack (log: %s)...\n", rel(cfg.Root, logPath))
	return waitServing(ctx, path, cmd.Process.Pid, exited, logPath)
}

// waitServing waits for serve (pid) to write the state file, and prints it.
func waitServing(ctx context.Context, path string, pid int, exited <-chan error,
	logPath string) error {
	deadline := time.After(5 * time.Minute) // a cold build of the functions is slow
	for {
		if st, err := readState(path); err == nil && st.PID == pid {
			printState(os.Stdout, st)
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("the stack did not start (%v); last log lines:\n%s", err,
				tail(logPath, 15))
		case <-deadline:
			_ = proc.Signal(pid, syscall.SIGTERM)
			return errors.New("the stack did not start within 5 minutes; see " + logPath)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// printState tells the user how to use the running stack, with shell lines that export
// the sign-in values and an access token (the README's curl commands use them), and the
// tables, endpoint, region and dummy credentials that `go run ./cmd/adpulse` needs
// (docs/auth.md).
func printState(w io.Writer, st State) {
	fmt.Fprintf(w, `
  API        %s
  kumo       %s
  tenant     %s
  ingest key %s
  admin      %s
  password   %s

  logs: %s
  stop with: make down

  paste into a shell for the README's curl commands:
export API=%s KEY='%s' ADMIN_EMAIL=%s ADMIN_PASSWORD='%s'
export TOKEN=$(curl -sS -X POST $API/v1/auth/login -H 'Content-Type: application/json' \
  -d "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

  and for go run ./cmd/adpulse (docs/auth.md):
export ACCOUNTS_TABLE=%s API_KEYS_TABLE=%s AWS_ENDPOINT_URL=%s \
  AWS_REGION=%s AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s

  send one event:
curl -sS -X POST $API/v1/events -H "x-api-key: $KEY" -H 'content-type: application/json' \
  -d '{"event_id":"demo-1","type":"impression","campaign_id":"spring-sale","ad_id":"b1",
       "user_id":"u-1","occurred_at":'$(date +%%s000)',"cost_micros":1500,"currency":"USD"}'
`, st.APIURL, st.Endpoint, st.TenantID, st.APIKey, st.AdminEmail, st.AdminPassword,
		filepath.Dir(st.Log), st.APIURL, st.APIKey, st.AdminEmail, st.AdminPassword,
		st.AccountsTable, st.APIKeysTable, st.Endpoint, kumo.Region, kumo.AccessKey,
		kumo.SecretKey)
}

// serve runs the stack in the foreground until SIGINT or SIGTERM, with a state file
// while it is up.
func serve(ctx context.Context, args []string) error {
	var f stackFlags
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	f.register(fs)
	_ = fs.Parse(args)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
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
	st := State{PID: os.Getpid(), APIURL: stack.APIURL(), Endpoint: stack.Endpoint(),
		TenantID: creds.TenantID, APIKey: creds.APIKey, AdminEmail: creds.AdminEmail,
		AdminPassword: creds.AdminPassword, AccountsTable: stack.Physical("Accounts"),
		APIKeysTable: stack.Physical("ApiKeys"), Children: stack.PIDs(),
		Log: filepath.Join(cfg.StateDir, "logs", "devstack.log")}
	path := statePath(cfg.Root)
	if err := writeState(path, st); err != nil {
		return err
	}
	defer os.Remove(path)
	log.Info("serving; stop with make down or SIGTERM", "api", st.APIURL)
	<-ctx.Done()
	log.Info("stopping")
	return stack.Close()
}

// rel returns path relative to root when it can.
func rel(root, path string) string {
	if r, err := filepath.Rel(root, path); err == nil {
		return r
	}
	return path
}

// tail returns the last n lines of the file at path.
func tail(path string, n int) string {
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}

// readState reads the state file.
func readState(path string) (State, error) {
	var st State
	data, err := os.ReadFile(path)
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return st, fmt.Errorf("read %s: %w", path, err)
	}
	return st, nil
}

// writeState writes the state file atomically.
func writeState(path string, st State) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}
