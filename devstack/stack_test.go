package devstack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kintypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/adpulse/adpulse/devstack"
	"github.com/adpulse/adpulse/devstack/internal/kumotest"
	"github.com/adpulse/adpulse/devstack/kumo"
	"github.com/adpulse/adpulse/devstack/proc"
)

// TestStackWithEcho runs the fixture template with the echo function standing in for
// both functions: a request through the API proxy, records through the event source
// mapping, a tenant key, and nothing left running after Close.
func TestStackWithEcho(t *testing.T) {
	root := kumotest.Root(t)
	bin, err := kumo.FindBin(root)
	if err != nil {
		t.Fatalf("%v: the local-stack tests need kumo (make tools, or set KUMO_BIN)", err)
	}
	ctx := context.Background()
	start := time.Now()
	s, err := devstack.Start(ctx, devstack.Config{
		Root: root, KumoBin: bin, Template: filepath.Join(root, "devstack/testdata/template.json"),
		StateDir: t.TempDir(), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Packages: map[string]string{"ingest": "./devstack/testdata/echo",
			"aggregate": "./devstack/testdata/echo"},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	t.Logf("stack up in %v", time.Since(start))

	checkAPI(t, s)
	checkStream(t, s)
	key, err := s.CreateTenant(ctx, "t_demo", "demo")
	if err != nil || !strings.HasPrefix(key, "adp_") {
		t.Errorf("CreateTenant = %q, %v", key, err)
	}

	pids := s.PIDs()
	if len(pids) != 7 { // kumo, 4 ingest, 2 aggregate
		t.Errorf("PIDs = %v, want 7", pids)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if proc.Alive(pid) {
			t.Errorf("process group %d still alive after Close", pid)
		}
	}
}

// checkAPI sends one request through the proxy and checks what the function saw.
func checkAPI(t *testing.T, s *devstack.Stack) {
	t.Helper()
	resp, err := http.Post(s.APIURL()+"/events", "application/json",
		strings.NewReader(`{"events":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var echo struct {
		Event struct {
			Body            string `json:"body"`
			IsBase64Encoded bool   `json:"isBase64Encoded"`
		} `json:"event"`
		Env map[string]string `json:"env"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&echo); err != nil || resp.StatusCode != 201 {
		t.Fatalf("POST /events = %d, %v", resp.StatusCode, err)
	}
	if echo.Env["STREAM_NAME"] != s.Physical("Events") || s.Physical("Events") == "" ||
		echo.Env["AWS_ENDPOINT_URL"] != s.Endpoint() || !echo.Event.IsBase64Encoded {
		t.Errorf("function saw env %v, base64 %v", echo.Env, echo.Event.IsBase64Encoded)
	}
	if resp.Header.Values("X-Echo")[1] != "b" {
		t.Errorf("multi-value response header = %v", resp.Header.Values("X-Echo"))
	}
}

// checkStream puts records on the stream and waits for the mapping to deliver them.
func checkStream(t *testing.T, s *devstack.Stack) {
	t.Helper()
	kin := kinesis.NewFromConfig(kumo.Config(s.Endpoint()))
	const n = 5000
	var entries []kintypes.PutRecordsRequestEntry
	for i := range n {
		entries = append(entries, kintypes.PutRecordsRequestEntry{
			Data: []byte(fmt.Sprint("ok-", i)), PartitionKey: aws.String(fmt.Sprint(i))})
	}
	start := time.Now()
	for i := 0; i < n; i += 500 {
		_, err := kin.PutRecords(context.Background(), &kinesis.PutRecordsInput{
			StreamName: aws.String(s.Physical("Events")), Records: entries[i : i+500]})
		if err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.WaitSettled(ctx, 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	st := s.ESM()
	t.Logf("%d records settled in %v: %+v", n, time.Since(start), st)
	// At least n: when a PutRecords answer is lost on the wire the SDK sends the call again
	// and the stream holds those records twice (seen here under load), as in AWS.
	if st.Records < n || st.RecordsFailed != 0 {
		t.Errorf("ESM stats = %+v, want at least %d records and no failures", st, n)
	}
}
