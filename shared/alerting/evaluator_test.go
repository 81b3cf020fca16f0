package alerting_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/adpulse/adpulse/shared/aggregate"
	"github.com/adpulse/adpulse/shared/alerting"
	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/event"
	"github.com/adpulse/adpulse/shared/kumotest"
	"github.com/adpulse/adpulse/shared/notify"
	"github.com/adpulse/adpulse/shared/rules"
	"github.com/adpulse/adpulse/shared/totals"
)

const tenant = "t_alerts"

var now = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

type env struct {
	agg       *aggregate.Handler
	sqs       *sqs.Client
	queueURL  string
	rules     *rules.Store
	campaigns *campaign.Store
	seq       *big.Int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	cfg := kumotest.Start(t)
	db, q := dynamodb.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	for _, in := range []*dynamodb.CreateTableInput{rules.TableInput("Rules"),
		campaign.TableInput("Campaigns"), table("Aggregates", "pk", "sk"),
		table("EventClaims", "pk", "sk")} {
		if _, err := db.CreateTable(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	queue, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("n")})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	e := &env{sqs: q, queueURL: aws.ToString(queue.QueueUrl),
		rules: rules.NewStore(db, "Rules"), campaigns: campaign.NewStore(db, "Campaigns")}
	e.seq, _ = new(big.Int).SetString("49590338271490256608559692538361571095921575989136588898",
		10)

	clock := func() time.Time { return now }
	cache := rules.NewCache(e.rules, time.Millisecond)
	cache.Now = clock
	e.agg = &aggregate.Handler{
		DB: db, Queue: q, AggregatesTable: "Aggregates", ClaimsTable: "EventClaims",
		FailureQueueURL: e.queueURL, DedupWindow: time.Hour, MinuteRetention: time.Hour,
		Workers: 4, Now: clock, Log: log,
		Evaluator: &alerting.Evaluator{
			Rules: cache, States: e.rules, Campaigns: e.campaigns,
			Totals: &totals.Reader{DB: db, Table: "Aggregates"}, Queue: q,
			QueueURL: e.queueURL, LinkBase: "https://app.example", Now: clock, Log: log,
		},
	}
	return e
}

func table(name, pk, sk string) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{TableName: aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(pk),
			AttributeType: types.ScalarAttributeTypeS}},
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String(pk),
			KeyType: types.KeyTypeHash}}}
	if sk != "" {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(sk), AttributeType: types.ScalarAttributeTypeS})
		in.KeySchema = append(in.KeySchema, types.KeySchemaElement{
			AttributeName: aws.String(sk), KeyType: types.KeyTypeRange})
	}
	return in
}

// batch packs impressions of the campaign costing cost micros each into Kinesis records.
func (e *env) batch(t *testing.T, campaignID string, from, n int,
	cost int64) []events.KinesisEventRecord {
	t.Helper()
	var evs []event.Event
	for i := from; i < from+n; i++ {
		evs = append(evs, event.Event{EventID: fmt.Sprintf("%s-%d", campaignID, i),
			Type: event.Impression, CampaignID: campaignID, AdID: "a", UserID: "u",
			OccurredAt: now.Add(-time.Minute), CostMicros: cost, Currency: "USD"})
	}
	packed, err := event.Pack(tenant, evs, 2, now)
	if err != nil {
		t.Fatal(err)
	}
	var recs []events.KinesisEventRecord
	for _, p := range packed {
		seq := e.seq.String()
		e.seq.Add(e.seq, big.NewInt(100))
		recs = append(recs, events.KinesisEventRecord{EventID: "shardId-000000000000:" + seq,
			Kinesis: events.KinesisRecord{Data: p.Data, SequenceNumber: seq}})
	}
	return recs
}

func (e *env) deliver(t *testing.T, recs []events.KinesisEventRecord) {
	t.Helper()
	resp, err := e.agg.Handle(context.Background(), events.KinesisEvent{Records: recs})
	if err != nil || len(resp.BatchItemFailures) > 0 {
		t.Fatalf("batch failed: %v %+v", err, resp.BatchItemFailures)
	}
}

// notifications drains the queue.
func (e *env) notifications(t *testing.T) []notify.Notification {
	t.Helper()
	var out []notify.Notification
	for {
		msgs, err := e.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(e.queueURL), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs.Messages) == 0 {
			return out
		}
		for _, m := range msgs.Messages {
			var n notify.Notification
			if json.Unmarshal([]byte(aws.ToString(m.Body)), &n) == nil && n.ID != "" {
				out = append(out, n)
			}
			_, _ = e.sqs.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{
				QueueUrl: aws.String(e.queueURL), ReceiptHandle: m.ReceiptHandle})
		}
	}
}

func (e *env) rule(t *testing.T, campaignID string, threshold float64) rules.Rule {
	t.Helper()
	spec := rules.DefaultSpec()
	spec.Name, spec.CampaignID, spec.Join = "spend passed", campaignID, rules.And
	spec.Conditions = []rules.Condition{{Metric: rules.Spend, Op: rules.GE,
		Threshold: threshold, Scope: rules.Lifetime}}
	spec.Channels = []rules.Channel{{Type: rules.Email, To: []string{"ops@example.com"}}}
	r := rules.New(tenant, "u_test", spec, now)
	if err := e.rules.Create(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSpendRuleFiresOnceWhateverIsRepeated(t *testing.T) {
	e := newEnv(t)
	r := e.rule(t, "c-spend", 50_000) // 0.05 USD

	e.deliver(t, e.batch(t, "c-spend", 0, 10, 1000)) // 10,000 micros: below
	if got := e.notifications(t); len(got) != 0 {
		t.Fatalf("fired below the threshold: %+v", got)
	}

	crossing := e.batch(t, "c-spend", 10, 50, 1000) // 60,000 micros: crossed
	e.deliver(t, crossing)
	e.deliver(t, crossing)                            // Lambda retry of the same batch
	e.deliver(t, e.batch(t, "c-spend", 0, 60, 1000))  // the same events sent again
	e.deliver(t, e.batch(t, "c-spend", 60, 10, 1000)) // more spend while firing
	got := e.notifications(t)
	if len(got) != 1 {
		t.Fatalf("got %d notifications, want exactly 1: %+v", len(got), got)
	}
	n := got[0]
	if n.RuleID != r.ID || n.Kind != notify.KindFire || n.CampaignID != "c-spend" ||
		n.Values["spend"] != 60_000 || n.Currency != "USD" || len(n.Channels) != 1 {
		t.Errorf("notification %+v", n)
	}
	if n.ID != rules.NotificationID(tenant, r.ID, "c-spend", 1, rules.Fire) {
		t.Errorf("notification id %s is not the stable id of episode 1", n.ID)
	}
}

func TestPausedCampaignStaysSilent(t *testing.T) {
	e := newEnv(t)
	spec := campaign.Spec{Name: "Paused one"}
	c := campaign.New(tenant, "u_test", spec, now)
	c.Status = campaign.Paused
	if err := e.campaigns.Create(context.Background(), c, nil); err != nil {
		t.Fatal(err)
	}
	e.rule(t, c.ID, 1000)

	e.deliver(t, e.batch(t, c.ID, 0, 10, 1000))
	if got := e.notifications(t); len(got) != 0 {
		t.Fatalf("a paused campaign's rule fired: %+v", got)
	}
}

// flakyCampaigns fails every read while down.
type flakyCampaigns struct {
	alerting.Campaigns
	down  bool
	reads int
}

func (f *flakyCampaigns) Get(ctx context.Context, tenant, id string) (campaign.Campaign,
	error) {
	f.reads++
	if f.down {
		return campaign.Campaign{}, errors.New("campaigns table unavailable")
	}
	return f.Campaigns.Get(ctx, tenant, id)
}

func TestCampaignSettingsServedStaleWhenTheTableFails(t *testing.T) {
	e := newEnv(t)
	c := campaign.New(tenant, "u_test", campaign.Spec{Name: "Paused one"}, now)
	c.Status = campaign.Paused
	if err := e.campaigns.Create(context.Background(), c, nil); err != nil {
		t.Fatal(err)
	}
	e.rule(t, c.ID, 1000)
	ev := e.agg.Evaluator.(*alerting.Evaluator)
	flaky := &flakyCampaigns{Campaigns: e.campaigns}
	clock := now
	ev.Campaigns, ev.Now = flaky, func() time.Time { return clock }

	e.deliver(t, e.batch(t, c.ID, 0, 10, 1000)) // settings read: paused

	// WHEN the table fails after the settings expired THEN the batch still goes through
	// (deliver fails the test on a batch failure) with the last settings: still paused.
	flaky.down = true
	clock = clock.Add(2 * time.Minute)
	e.deliver(t, e.batch(t, c.ID, 10, 10, 1000))
	if flaky.reads < 2 {
		t.Errorf("campaign reads = %d: the expired settings were not read again", flaky.reads)
	}
	if got := e.notifications(t); len(got) != 0 {
		t.Errorf("the paused campaign's rule fired on stale settings: %+v", got)
	}
}
