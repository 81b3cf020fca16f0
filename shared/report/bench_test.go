package report_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/kumotest"
	"github.com/adpulse/adpulse/shared/report"
	"github.com/adpulse/adpulse/shared/totals"
)

// benchDays is the span of the generated rollups: 2026-01-01 to 2026-04-01, 90 days.
const benchDays = 90

var benchStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// benchCampaigns is how many campaigns the benchmark generates: REPORT_BENCH_CAMPAIGNS,
// else 200. kumo answers a Query by walking every item of the table, so query latency
// there grows with the table: 10,000 campaigns (1.86 M items) load in under 3 minutes but
// take about 50 s per query; make bench-reports uses DynamoDB Local (docs/benchmarks.md).
func benchCampaigns(b *testing.B) int {
	if s := os.Getenv("REPORT_BENCH_CAMPAIGNS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 100 {
			b.Fatalf("REPORT_BENCH_CAMPAIGNS must be an integer of at least 100, got %q", s)
		}
		return n
	}
	return 200
}

// countingDB counts the queries and items the reports read.
type countingDB struct {
	*dynamodb.Client
	queries, items atomic.Int64
}

func (c *countingDB) Query(ctx context.Context, in *dynamodb.QueryInput,
	opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := c.Client.Query(ctx, in, opts...)
	c.queries.Add(1)
	if out != nil {
		c.items.Add(int64(len(out.Items)))
	}
	return out, err
}

// BenchmarkReports loads generated rollups for many campaigns over 90 days straight into
// kumo in the stored layout (one shard: campaign day and month rows, tenant day and
// month partitions), then times the top-100 ranking and a 90-day daily report.
//
// It takes minutes on kumo (which walks the whole table per query), so it runs only with
// REPORT_BENCH=1: go test -run '^$' -bench Reports -benchtime 3x ./shared/report/
// AWS_ENDPOINT_URL points it at another DynamoDB instead of kumo: make bench-reports runs
// it with 10,000 campaigns against DynamoDB Local (docs/benchmarks.md).
func BenchmarkReports(b *testing.B) {
	if os.Getenv("REPORT_BENCH") != "1" {
		b.Skip("set REPORT_BENCH=1 to load the rollups into kumo and time the reports")
	}
	n := benchCampaigns(b)
	ctx := context.Background()
	db := dynamodb.NewFromConfig(kumotest.Start(b))
	createAggregates(b, db)
	if _, err := db.CreateTable(ctx, campaign.TableInput("Campaigns")); err != nil {
		b.Fatal(err)
	}
	counting := &countingDB{Client: db}
	store := campaign.NewStore(counting, "Campaigns")
	rep := &report.Reporter{Totals: &totals.Reader{DB: counting, Table: "Aggregates"},
		Campaigns: store, Now: func() time.Time { return benchStart.AddDate(0, 0, 60) }}

	start := time.Now()
	ids := createCampaigns(b, store, n)
	created := time.Since(start)
	start = time.Now()
	items := loadRollups(b, db, ids)
	b.Logf("%d campaigns: created in %v; %d rollup items loaded in %v (%.0f items/s)", n,
		created.Round(time.Millisecond), items, time.Since(start).Round(time.Millisecond),
		float64(items)/time.Since(start).Seconds())

	run := func(name string, fn func() error) {
		b.Run(name, func(b *testing.B) {
			counting.queries.Store(0)
			counting.items.Store(0)
			for b.Loop() {
				if err := fn(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(counting.queries.Load())/float64(b.N), "queries/op")
			b.ReportMetric(float64(counting.items.Load())/float64(b.N), "items/op")
		})
	}
	top := func(start, end string, noReach bool) func() error {
		return func() error {
			q, err := report.ParseTop(report.TopParams{Start: start, End: end, Limit: "100",
				NoReach: noReach})
			if err != nil {
				return err
			}
			rk, err := rep.Top(ctx, "t_bench", q)
			if err == nil && len(rk.Items) != 100 {
				err = fmt.Errorf("got %d campaigns", len(rk.Items))
			}
			return err
		}
	}
	run("top100/months", top("2026-01-01", "2026-04-01", false))
	run("top100/months_no_reach", top("2026-01-01", "2026-04-01", true))
	run("top100/days", top("2026-01-02", "2026-03-31", true))
	run("campaign_daily_90d", func() error {
		r, err := rep.Campaign(ctx, "t_bench", ids[n/2], report.RangeParams{
			Start: "2026-01-01", End: "2026-04-01", Granularity: "day", TZ: "UTC"})
		if err == nil && len(r.Rows) != benchDays {
			err = fmt.Errorf("got %d rows", len(r.Rows))
		}
		return err
	})
}

func createAggregates(b *testing.B, db *dynamodb.Client) {
	b.Helper()
	_, err := db.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:   aws.String("Aggregates"),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange}},
	})
	if err != nil {
		b.Fatal(err)
	}
}

// createCampaigns stores n active campaigns of the bench tenant, 8 at a time.
func createCampaigns(b *testing.B, store *campaign.Store, n int) []string {
	b.Helper()
	ids := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				spec := campaign.Spec{Name: fmt.Sprintf("Campaign %05d", i), BrandID: "b1",
					Objectives: []campaign.Objective{campaign.Sales},
					Channels:   []campaign.Channel{campaign.Display},
					Budget: &campaign.Budget{TotalMicros: 1_000_000_000_000,
						Currency: "EUR"},
					Schedule: &campaign.Schedule{Start: "2026-01-01T00:00:00Z",
						End: "2026-06-01T00:00:00Z", Timezone: "UTC"}}
				c := campaign.New("t_bench", "u_bench", spec, benchStart)
				c.Status = campaign.Active
				ids[i] = c.ID
				if err := store.Create(context.Background(), c, nil); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	return ids
}

// loadRollups writes each campaign's day and month rows and its share of the tenant
// day and month partitions, with BatchWriteItem (25 items a call, 8 calls at once).
func loadRollups(b *testing.B, db *dynamodb.Client, ids []string) int {
	b.Helper()
	const shard = "shardId-000000000000"
	items := make(chan map[string]types.AttributeValue, 1024)
	var wg sync.WaitGroup
	var failed atomic.Value
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var batch []types.WriteRequest
			flush := func() {
				for len(batch) > 0 {
					out, err := db.BatchWriteItem(context.Background(),
						&dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
							"Aggregates": batch}})
					if err != nil {
						failed.Store(err)
						return
					}
					batch = out.UnprocessedItems["Aggregates"]
				}
			}
			for it := range items {
				batch = append(batch, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
				if len(batch) == 25 {
					flush()
				}
			}
			flush()
		}()
	}

	count := 0
	emit := func(pk, sk string, k int64) {
		count++
		items <- rollupItem(pk, sk, k)
	}
	for i, id := range ids {
		months := map[time.Time]int64{}
		for d := 0; d < benchDays; d++ {
			day := benchStart.AddDate(0, 0, d)
			k := int64(i%97+1) * int64(d%7+1)
			emit(totals.PK("t_bench", id), totals.BucketSK(totals.Day, day, shard), k)
			emit(totals.TenantPK("t_bench", totals.Day, day), totals.TenantSK(id, shard), k)
			months[totals.Month.Truncate(day)] += k
		}
		for m, k := range months {
			emit(totals.PK("t_bench", id), totals.BucketSK(totals.Month, m, shard), k)
			emit(totals.TenantPK("t_bench", totals.Month, m), totals.TenantSK(id, shard), k)
		}
	}
	close(items)
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		b.Fatal(err)
	}
	return count
}

// rollupItem is a rollup row whose counters scale with k.
func rollupItem(pk, sk string, k int64) map[string]types.AttributeValue {
	n := func(v int64) types.AttributeValue {
		return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
	}
	return map[string]types.AttributeValue{
		"pk":                   &types.AttributeValueMemberS{Value: pk},
		"sk":                   &types.AttributeValueMemberS{Value: sk},
		totals.AttrImpressions: n(1000 * k), totals.AttrClicks: n(20 * k),
		totals.AttrConversions: n(k), "spend_EUR": n(2_500_000 * k), "value_EUR": n(9_000_000 * k),
		"wm": &types.AttributeValueMemberS{Value: fmt.Sprintf("%0130d", 1)},
	}
}
