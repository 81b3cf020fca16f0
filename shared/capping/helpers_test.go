package capping_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/adpulse/adpulse/shared/capping"
	"github.com/adpulse/adpulse/shared/kumotest"
)

const tenant = "t_a"

// backend is a store to run a scenario against.
type backend struct {
	name  string
	store capping.Store
}

// backends returns the in-memory store and the DynamoDB store on kumo.
func backends(t *testing.T) []backend {
	t.Helper()
	return []backend{{"memory", capping.NewMemory()}, {"dynamodb", newDynamo(t)}}
}

func newDynamo(t testing.TB) *capping.Dynamo {
	t.Helper()
	db := dynamodb.NewFromConfig(kumotest.Start(t))
	if _, err := db.CreateTable(context.Background(), capping.TableInput("Capping")); err != nil {
		t.Fatalf("create table: %v", err)
	}
	return capping.NewDynamo(db, "Capping")
}

// rig is a counter and a decider on one store and one set of configurations.
type rig struct {
	t       *testing.T
	store   capping.Store
	counter *capping.Counter
	decider *capping.Decider
	seq     int
}

func newRig(t *testing.T, store capping.Store, cfgs capping.Static) *rig {
	now := func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }
	return &rig{t: t, store: store,
		counter: &capping.Counter{Store: store, Configs: cfgs, Now: now},
		decider: &capping.Decider{Store: store, Configs: cfgs, Now: now}}
}

// show counts one impression of campaign c, ad a at time at; it returns its event id.
func (r *rig) show(ids capping.Identifiers, c, a string, at time.Time) string {
	r.t.Helper()
	r.seq++
	imp := capping.Impression{TenantID: tenant, EventID: "ev-" + itoa(r.seq),
		Owner: "shard-0/" + itoa(r.seq) + "/0", Identifiers: ids, CampaignID: c, AdID: a,
		OccurredAt: at}
	res, err := r.counter.Count(context.Background(), []capping.Impression{imp})
	if err != nil || res.Counted != 1 {
		r.t.Fatalf("count %+v: %+v, %v", imp, res, err)
	}
	return imp.EventID
}

// decide asks for one candidate at a time.
func (r *rig) decide(ids capping.Identifiers, c, a string, at time.Time) capping.Decision {
	r.t.Helper()
	out, st := r.decider.Decide(context.Background(), tenant, &capping.Request{
		Identifiers: ids, Candidates: []capping.Candidate{{CampaignID: c, AdID: a}}, At: &at})
	if st.Err != nil {
		r.t.Fatalf("decide: %v", st.Err)
	}
	return out[0]
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
