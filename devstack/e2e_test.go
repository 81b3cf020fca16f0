package devstack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/adpulse/adpulse/devstack"
	"github.com/adpulse/adpulse/devstack/internal/kumotest"
	"github.com/adpulse/adpulse/devstack/kumo"
	"github.com/adpulse/adpulse/devstack/scenario"
	"github.com/adpulse/adpulse/shared/aggregate"
	"github.com/adpulse/adpulse/shared/event"
	"github.com/adpulse/adpulse/shared/ingest"
	"github.com/adpulse/adpulse/shared/totals"
	"github.com/adpulse/adpulse/shared/traffic"
)

// startReal runs the synthesized template with the real functions. Every Kinesis batch
// is delivered twice, as a Lambda retry after a timeout would, so that every test here
// also proves that a redelivered batch changes nothing.
func startReal(t *testing.T) *devstack.Stack {
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

func ipinyouDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(kumotest.Root(t), "..", "shared", "data", "ipinyou")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs the iPinYou data at %s", dir)
		}
		t.Skipf("no iPinYou data at %s (CI has it); generated traffic is tested instead", dir)
	}
	return dir
}

func TestIPinYouReplayCountsEachEventOnce(t *testing.T) {
	dir := ipinyouDir(t)
	s := startReal(t)
	ctx := context.Background()
	key, err := s.CreateTenant(ctx, "t_ipinyou", "e2e")
	if err != nil {
		t.Fatal(err)
	}
	in, err := scenario.Load(dir, "t_ipinyou", 0)
	if err != nil {
		t.Fatal(err)
	}

	want := totals.Counters{Impressions: 9960, Clicks: 433, Conversions: 0,
		Spend: map[string]int64{"CNY": 8734340}}
	for pass := 1; pass <= 2; pass++ { // the second pass sends the same files again
		res, err := scenario.Run(ctx, s, "t_ipinyou", key, in, nil)
		if err != nil {
			t.Fatalf("pass %d: %v", pass, err)
		}
		if res.Replay.Accepted != 10442 || len(res.Campaigns) != 1 {
			t.Fatalf("pass %d: accepted %d events, %d campaigns", pass, res.Replay.Accepted,
				len(res.Campaigns))
		}
		assertTotals(t, fmt.Sprintf("pass %d", pass), res.Campaigns[0].Counters, want)
		t.Logf("pass %d: %.0f events/s, settled %.2f s after the last accepted event, "+
			"%.3f DynamoDB writes per event", pass, res.Replay.EventsPerSecond, res.Settle,
			res.Writes.PerEvent)
	}
	// Unique users over the whole replay, against the exact count from the files.
	people := map[string]bool{}
	for i := range in.Events {
		if in.Events[i].Type == event.Impression {
			people[string(aggregate.Person(&in.Events[i]))] = true
		}
	}
	reach, err := totalsReader(s).Reach(ctx, "t_ipinyou", "2821",
		time.Date(2013, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2013, 11, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if off := float64(reach.People)/float64(len(people)) - 1; off > 0.02 || off < -0.02 {
		t.Errorf("unique users %d, exact %d (%.2f%% off)", reach.People, len(people), off*100)
	}
	t.Logf("unique users %d, exact %d", reach.People, len(people))

	if st := s.ESM(); st.Redeliveries == 0 {
		t.Errorf("no batch was delivered twice: %+v", st)
	}
}

func TestGeneratedTrafficPerTenant(t *testing.T) {
	s := startReal(t)
	ctx := context.Background()

	// Both tenants use the same campaign ids with different traffic: each must read back
	// exactly its own numbers, never the other's or a sum.
	expected := map[string]map[string]traffic.Totals{}
	for _, tenant := range []string{"t_acme", "t_globex"} {
		key, err := s.CreateTenant(ctx, tenant, "e2e")
		if err != nil {
			t.Fatal(err)
		}
		in, err := scenario.Load("", tenant, 3000)
		if err != nil {
			t.Fatal(err)
		}
		expected[tenant] = in.Expected
		res, err := scenario.Run(ctx, s, tenant, key, in, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Problems) > 0 || len(res.Campaigns) != len(in.Expected) {
			t.Errorf("%s: %d campaigns, problems %v", tenant, len(res.Campaigns), res.Problems)
		}
	}

	shared := 0
	for id, acme := range expected["t_acme"] {
		globex, ok := expected["t_globex"][id]
		if !ok || globex == acme {
			continue
		}
		shared++
		c, err := totalsReader(s).Campaign(ctx, "t_globex", id)
		if err != nil || c.Totals.Impressions != globex.Impressions {
			t.Errorf("t_globex reads %d impressions for %s, its own traffic had %d (%v)",
				c.Totals.Impressions, id, globex.Impressions, err)
		}
	}
	if shared == 0 {
		t.Fatal("the tenants share no campaign id with different traffic: isolation untested")
	}
}

func TestBadInputNeverDisturbsTotals(t *testing.T) {
	s := startReal(t)
	ctx := context.Background()
	key, err := s.CreateTenant(ctx, "t_bad", "e2e")
	if err != nil {
		t.Fatal(err)
	}

	// 9 good events and 1 malformed: 9 accepted, 1 rejected with field and reason.
	var parts []string
	for i := 0; i < 9; i++ {
		parts = append(parts, goodEvent(i))
	}
	parts = append(parts[:4], append([]string{`{"event_id":"bad","type":"impression",` +
		`"campaign_id":"c-e2e","ad_id":"a","user_id":"u","occurred_at":"2026-12-01T00:00:00Z",` +
		`"cost_micros":"abc","currency":"USD"}`}, parts[4:]...)...)
	status, body := post(t, s.APIURL()+"/v1/events/batch", key, "["+strings.Join(parts, ",")+"]")
	var res ingest.Result
	_ = json.Unmarshal(body, &res)
	if status != 202 || res.Accepted != 9 || res.Rejected != 1 || len(res.Errors) != 1 ||
		res.Errors[0].Index != 4 || res.Errors[0].Field != "cost_micros" ||
		res.Errors[0].Reason == "" {
		t.Errorf("mixed batch: %d %s", status, body)
	}

	// A body over 1 MB is refused whole: by the function up to what one Lambda invoke
	// carries (base64 makes the body a third larger), above that the gateway fails the
	// invoke (5xx), and above its own 10 MB limit the gateway answers 413 itself.
	for _, tc := range []struct {
		mb     int
		status int
		code   string
	}{{2, 413, "payload_too_large"}, {5, 500, "internal"}, {11, 413, "payload_too_large"}} {
		big := "[" + goodEvent(100) + "," + strings.Repeat(" ", tc.mb<<20) + goodEvent(101) + "]"
		status, body := post(t, s.APIURL()+"/v1/events/batch", key, big)
		var p struct{ Error struct{ Code string } }
		_ = json.Unmarshal(body, &p)
		if status != tc.status || p.Error.Code != tc.code {
			t.Errorf("%d MB body: %d %s, want %d %s", tc.mb, status, body, tc.status, tc.code)
		}
	}
	// So is a request with an unknown key or none.
	if status, body := post(t, s.APIURL()+"/v1/events", "adp_unknown",
		goodEvent(102)); status != 401 {
		t.Errorf("unknown key: %d %s", status, body)
	}
	if status, _ := post(t, s.APIURL()+"/v1/events", "", goodEvent(103)); status != 401 {
		t.Errorf("missing key: %d", status)
	}

	if err := s.WaitSettled(ctx, 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	c, err := totalsReader(s).Campaign(ctx, "t_bad", "c-e2e")
	if err != nil {
		t.Fatal(err)
	}
	assertTotals(t, "after bad input", c.Totals, totals.Counters{Impressions: 9,
		Spend: map[string]int64{"USD": 9 * 2500}})
}

func TestPoisonRecordLandsInFailureQueue(t *testing.T) {
	s := startReal(t)
	ctx := context.Background()
	cfg := kumo.Config(s.Endpoint())
	kin := kinesis.NewFromConfig(cfg)
	stream := s.Physical("Events")

	put := func(data, pk string) {
		t.Helper()
		_, err := kin.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String(stream),
			Data: []byte(data), PartitionKey: aws.String(pk)})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Same partition key, so the good record sits behind the poison on one shard.
	put("this is not json", "t_poison/c-p/0")
	put(`{"v":1,"tenant_id":"t_poison","received_at":1,"events":[`+
		strings.Replace(goodEvent(1), `"cost_micros":2500`, `"cost_micros":"abc"`, 1)+`]}`,
		"t_poison/c-p/0")
	put(`{"v":1,"tenant_id":"t_poison","received_at":1,"events":[`+
		strings.Replace(goodEvent(2), "c-e2e", "c-p", 1)+`]}`, "t_poison/c-p/0")

	if err := s.WaitSettled(ctx, 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	c, err := totalsReader(s).Campaign(ctx, "t_poison", "c-p")
	if err != nil {
		t.Fatal(err)
	}
	assertTotals(t, "event behind the poison", c.Totals, totals.Counters{Impressions: 1,
		Spend: map[string]int64{"USD": 2500}})

	kinds := map[string]string{}
	q := sqs.NewFromConfig(cfg)
	out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(s.Physical("IngestFailures")), MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range out.Messages {
		var p aggregate.Parked
		if json.Unmarshal([]byte(aws.ToString(m.Body)), &p) == nil {
			kinds[p.Kind] = p.Reason
		}
	}
	if !strings.Contains(kinds["poison-record"], "not a JSON") ||
		!strings.Contains(kinds["poison-event"], "cost_micros") {
		t.Errorf("failure queue holds %v", kinds)
	}
}

func goodEvent(i int) string {
	return fmt.Sprintf(`{"event_id":"e2e-%d","type":"impression","campaign_id":"c-e2e",`+
		`"ad_id":"a-1","user_id":"u-%d","occurred_at":"%s","cost_micros":2500,"currency":"USD"}`,
		i, i, time.Now().UTC().Add(-time.Minute).Format(time.RFC3339))
}

func post(t *testing.T, url, key, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("X-Api-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func totalsReader(s *devstack.Stack) *totals.Reader {
	return &totals.Reader{DB: dynamodb.NewFromConfig(kumo.Config(s.Endpoint())),
		Table: s.Physical("Aggregates")}
}

func assertTotals(t *testing.T, what string, got, want totals.Counters) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("%s:\n got  %s\n want %s", what, g, w)
	}
}
