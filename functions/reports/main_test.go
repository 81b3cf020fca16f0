package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/adpulse/adpulse/shared/aggregate"
	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/event"
	"github.com/adpulse/adpulse/shared/kumotest"
	"github.com/adpulse/adpulse/shared/principal"
	"github.com/adpulse/adpulse/shared/report"
	"github.com/adpulse/adpulse/shared/totals"
)

// The callers of the tests: tenant A's analyst and tenant B's admin.
var (
	analystA = principal.Principal{TenantID: "t_a", UserID: "u_ana_a", Role: principal.Analyst}
	adminB   = principal.Principal{TenantID: "t_b", UserID: "u_adm_b", Role: principal.Admin}
)

// env is one emulator with the tables, the real aggregate function writing rollups, and
// the reports handler reading them.
type env struct {
	db      *dynamodb.Client
	agg     *aggregate.Handler
	store   *campaign.Store
	reader  *totals.Reader
	h       *Handler
	shards  []*stream
	batches int
}

func newEnv(t *testing.T, now time.Time) *env {
	t.Helper()
	cfg := kumotest.Start(t)
	ctx := context.Background()
	e := &env{db: dynamodb.NewFromConfig(cfg)}
	kumotest.CreateTable(t, e.db, "Aggregates", "pk", "sk")
	kumotest.CreateTable(t, e.db, "EventClaims", "pk", "sk")
	if _, err := e.db.CreateTable(ctx, campaign.TableInput("Campaigns")); err != nil {
		t.Fatalf("create campaigns table: %v", err)
	}
	queues := sqs.NewFromConfig(cfg)
	q, err := queues.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("failures")})
	if err != nil {
		t.Fatalf("create queue: %v", err)
	}

	discard := slog.New(slog.NewJSONHandler(io.Discard, nil))
	if os.Getenv("REPORTS_DEBUG") != "" {
		discard = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	e.agg = &aggregate.Handler{DB: e.db, Queue: queues, AggregatesTable: "Aggregates",
		ClaimsTable: "EventClaims", FailureQueueURL: aws.ToString(q.QueueUrl),
		DedupWindow: time.Hour, MinuteRetention: report.MinuteRetention, Workers: 8,
		Now: func() time.Time { return now }, Log: discard}
	e.store = campaign.NewStore(e.db, "Campaigns")
	e.reader = &totals.Reader{DB: e.db, Table: "Aggregates"}
	e.h = &Handler{Reports: &report.Reporter{Totals: e.reader, Campaigns: e.store,
		Now: func() time.Time { return now }}, Log: discard}
	e.shards = []*stream{newStream("shardId-000000000000"), newStream("shardId-000000000001")}
	return e
}

// stream hands out Kinesis records with growing sequence numbers, as one shard would.
type stream struct {
	shard string
	next  *big.Int
}

func newStream(shard string) *stream {
	n, _ := new(big.Int).SetString("49590338271490256608559692538361571095921575989136588898", 10)
	return &stream{shard: shard, next: n}
}

func (s *stream) record(data []byte) events.KinesisEventRecord {
	seq := s.next.String()
	s.next.Add(s.next, big.NewInt(1000))
	return events.KinesisEventRecord{
		EventID: s.shard + ":" + seq, EventName: "aws:kinesis:record",
		EventSource: "aws:kinesis", EventVersion: "1.0", AwsRegion: "us-east-1",
		Kinesis: events.KinesisRecord{Data: data, SequenceNumber: seq, PartitionKey: "pk",
			KinesisSchemaVersion: "1.0"},
	}
}

// send packs the tenant's events into records and feeds them to the aggregate function
// in batches of up to 200 records, alternating between two shards.
func (e *env) send(t *testing.T, tenant string, evs []event.Event) {
	t.Helper()
	packed, err := event.Pack(tenant, evs, 4, time.Now())
	if err != nil {
		t.Fatalf("pack: %v", err)
	}
	for i := 0; i < len(packed); i += 200 {
		sh := e.shards[e.batches%len(e.shards)]
		e.batches++
		var recs []events.KinesisEventRecord
		for _, p := range packed[i:min(i+200, len(packed))] {
			recs = append(recs, sh.record(p.Data))
		}
		resp, err := e.agg.Handle(context.Background(), events.KinesisEvent{Records: recs})
		if err != nil || len(resp.BatchItemFailures) > 0 {
			t.Fatalf("aggregate: %v %+v", err, resp.BatchItemFailures)
		}
	}
}

// newCampaign stores a campaign of the tenant and returns it.
func (e *env) newCampaign(t *testing.T, tenant, name, currency, tz string) campaign.Campaign {
	t.Helper()
	cap := int64(50_000_000)
	spec := campaign.Spec{Name: name, BrandID: "brand_1",
		Objectives: []campaign.Objective{campaign.Sales},
		Channels:   []campaign.Channel{campaign.Display},
		Budget: &campaign.Budget{TotalMicros: 1_000_000_000, DailyCapMicros: &cap,
			Currency: currency},
		Schedule: &campaign.Schedule{Start: "2013-10-01T00:00:00Z",
			End: "2030-01-01T00:00:00Z", Timezone: tz}}
	c := campaign.New(tenant, "u_test", spec, time.Now())
	c.Status = campaign.Active
	if err := e.store.Create(context.Background(), c, nil); err != nil {
		t.Fatalf("create campaign: %v", err)
	}
	return c
}

// request is one GET in a test.
type request struct {
	who     principal.Principal
	method  string
	path    string
	query   map[string]string
	headers map[string]string
}

// do sends a request through Handle the way API Gateway would.
func (e *env) do(t *testing.T, r request) events.APIGatewayProxyResponse {
	t.Helper()
	if r.method == "" {
		r.method = "GET"
	}
	req := events.APIGatewayProxyRequest{HTTPMethod: r.method, Path: r.path,
		QueryStringParameters: r.query, Headers: r.headers}
	req.Resource = r.path
	if parts := strings.Split(r.path, "/"); len(parts) == 5 && parts[2] == "campaigns" {
		req.Resource = campaignReport
		req.PathParameters = map[string]string{"id": parts[3]}
	}
	req.RequestContext.RequestID = "req-test"
	if r.who.TenantID != "" {
		req.RequestContext.Authorizer = r.who.Context()
	}
	out, err := e.h.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	return out
}

// getJSON answers a GET that must succeed, decoded.
func getJSON[T any](t *testing.T, e *env, r request) T {
	t.Helper()
	out := e.do(t, r)
	if out.StatusCode != 200 {
		t.Fatalf("GET %s %v: got %d %s", r.path, r.query, out.StatusCode, out.Body)
	}
	var v T
	if err := json.Unmarshal([]byte(out.Body), &v); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return v
}

// getCSV answers a GET that must succeed as CSV, parsed into records keyed by header.
func getCSV(t *testing.T, e *env, r request) []map[string]string {
	t.Helper()
	out := e.do(t, r)
	if out.StatusCode != 200 || !strings.HasPrefix(out.Headers["Content-Type"], "text/csv") {
		t.Fatalf("GET %s as CSV: got %d %s %s", r.path, out.StatusCode,
			out.Headers["Content-Type"], out.Body)
	}
	recs, err := csv.NewReader(strings.NewReader(out.Body)).ReadAll()
	if err != nil {
		t.Fatalf("read CSV: %v", err)
	}
	var rows []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = rec[i]
		}
		rows = append(rows, m)
	}
	return rows
}

// sameMetrics fails unless a CSV record says the same as JSON metrics: counts equal,
// amounts the same micros, ratios the same numbers, nulls empty.
func sameMetrics(t *testing.T, what string, rec map[string]string, m report.Metrics,
	cur string) {
	t.Helper()
	opt := func(p *float64) string {
		if p == nil {
			return ""
		}
		return fmt.Sprint(*p)
	}
	money := func(p *int64) string {
		if p == nil {
			return ""
		}
		return report.Decimal(*p, cur)
	}
	users := ""
	if m.UniqueUsers != nil {
		users = fmt.Sprint(*m.UniqueUsers)
	}
	want := map[string]string{
		"impressions": fmt.Sprint(m.Impressions), "clicks": fmt.Sprint(m.Clicks),
		"conversions": fmt.Sprint(m.Conversions), "spend": report.Decimal(m.SpendMicros, cur),
		"conversion_value": report.Decimal(m.ValueMicros, cur), "currency": cur,
		"ctr": opt(m.CTR), "cvr": opt(m.CVR), "roas": opt(m.ROAS), "cpm": money(m.CPMMicros),
		"cpc": money(m.CPCMicros), "cpa": money(m.CPAMicros), "unique_users": users,
		"avg_frequency": opt(m.AvgFrequency),
	}
	for k, w := range want {
		got := rec[k]
		if got != w && !sameFloat(got, w) {
			t.Errorf("%s %s: CSV %q, JSON %q", what, k, got, w)
		}
	}
	if got := rec["spend"]; microsOf(t, got) != m.SpendMicros {
		t.Errorf("%s spend: CSV %s is not %d micros", what, got, m.SpendMicros)
	}
}

func sameFloat(a, b string) bool {
	var x, y float64
	_, e1 := fmt.Sscan(a, &x)
	_, e2 := fmt.Sscan(b, &y)
	return e1 == nil && e2 == nil && x == y
}

// microsOf reads a decimal amount back into micros, exactly.
func microsOf(t *testing.T, s string) int64 {
	t.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("not a decimal: %q", s)
	}
	r.Mul(r, big.NewRat(1_000_000, 1))
	if !r.IsInt() {
		t.Fatalf("%q has more than 6 decimals", s)
	}
	return r.Num().Int64()
}
