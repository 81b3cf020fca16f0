package features_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/adpulse/adpulse/devstack"
	"github.com/adpulse/adpulse/devstack/internal/kumotest"
	"github.com/adpulse/adpulse/devstack/webhookrecv"
	"github.com/adpulse/adpulse/shared/event"
	"github.com/adpulse/adpulse/shared/totals"
)

// env is what the steps of TestFeatures share: one stack and one webhook receiver.
type env struct {
	s    *devstack.Stack
	c    client
	recv *webhookrecv.Receiver

	// Set by the iPinYou alert step for the reports step.
	ipinyou *replayed
}

// replayed is the iPinYou replay as the alert step left it.
type replayed struct {
	token    string // the tenant admin's access token
	campaign string // the campaign the iPinYou advertiser 2821 was replayed into
	totals   totals.Counters
	events   []event.Event
}

// TestFeatures drives alerts, reports and frequency capping through the local stack,
// one stack for all, every Kinesis batch delivered twice. The steps run in order.
func TestFeatures(t *testing.T) {
	start := time.Now()
	e := &env{s: startStack(t)}
	e.c = newClient(t, e.s.APIURL())
	recv, err := webhookrecv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = recv.Close() })
	e.recv = recv
	t.Logf("stack ready in %v", time.Since(start).Round(time.Millisecond))

	steps := []struct {
		name string
		fn   func(*testing.T, *env)
	}{
		{"capping decisions", cappingDecisions},
		{"alert latency", alertLatency},
		{"alert on the iPinYou replay fires once", ipinyouAlert},
		{"reports agree with the pipeline", reportsAgree},
	}
	for _, s := range steps {
		begin := time.Now()
		t.Run(s.name, func(t *testing.T) { s.fn(t, e) })
		t.Logf("%s: %v", s.name, time.Since(begin).Round(time.Millisecond))
	}
	if st := e.s.ESM(); st.Redeliveries == 0 {
		t.Errorf("no Kinesis batch was delivered twice: %+v", st)
	}
	t.Logf("queue mapping %+v; suite took %v", e.s.QueueStats(),
		time.Since(start).Round(time.Millisecond))
}

// startStack runs the synthesized template with the real functions; every Kinesis batch
// is delivered twice, as a Lambda retry after a timeout would.
func startStack(t *testing.T) *devstack.Stack {
	t.Helper()
	root := kumotest.Root(t)
	tpl := filepath.Join(root, devstack.TemplatePath)
	if _, err := os.Stat(tpl); err != nil {
		t.Fatalf("%s is missing: run make synth (make test does)", tpl)
	}
	s, err := devstack.Start(context.Background(), devstack.Config{
		Root: root, Template: tpl, StateDir: t.TempDir(), Redeliver: true,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// ipinyouDir returns the iPinYou sample; CI must have it, elsewhere the test skips.
func ipinyouDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(kumotest.Root(t), "..", "shared", "data", "ipinyou")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs the iPinYou data at %s", dir)
		}
		t.Skipf("no iPinYou data at %s (CI has it)", dir)
	}
	return dir
}

// webhooksAt returns the deliveries the receiver got on path.
func webhooksAt(r *webhookrecv.Receiver, path string) []webhookrecv.Delivery {
	var out []webhookrecv.Delivery
	for _, d := range r.Deliveries() {
		if d.Path == path {
			out = append(out, d)
		}
	}
	return out
}

// emailsTo returns the emails kumo's SES accepted for address.
func emailsTo(t *testing.T, s *devstack.Stack, address string) []devstack.SentEmail {
	t.Helper()
	all, err := s.SentEmails(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []devstack.SentEmail
	for _, m := range all {
		if slices.Contains(m.Destination.ToAddresses, address) {
			out = append(out, m)
		}
	}
	return out
}

// webhookBody is the part of a webhook body the tests read.
type webhookBody struct {
	Type string `json:"type"`
	Data struct {
		ID         string             `json:"id"`
		CampaignID string             `json:"campaign_id"`
		RuleID     string             `json:"rule_id"`
		Values     map[string]float64 `json:"values"`
		Currency   string             `json:"currency"`
	} `json:"data"`
}

func decodeWebhook(t *testing.T, d webhookrecv.Delivery) webhookBody {
	t.Helper()
	var b webhookBody
	if err := json.Unmarshal(d.Body, &b); err != nil {
		t.Fatalf("webhook body %.200s: %v", d.Body, err)
	}
	return b
}
