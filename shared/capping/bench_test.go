package capping_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/adpulse/adpulse/shared/capping"
)

// benchSetup is 50 candidates over 10 campaigns (5 ads each); every campaign caps per
// day and per hour, every ad per lifetime. The person, a login linked with two devices,
// saw each ad once in the last hour.
func benchSetup(b *testing.B, store capping.Store) (*capping.Decider, *capping.Request) {
	b.Helper()
	ctx := context.Background()
	cfgs := capping.Static{}
	now := time.Date(2026, 6, 10, 15, 0, 0, 0, time.UTC)
	req := &capping.Request{Identifiers: capping.Identifiers{DeviceID: "phone", LoginID: "alice"}}
	var imps []capping.Impression
	for c := 0; c < 10; c++ {
		cid := "cmp-" + strconv.Itoa(c)
		ads := map[string][]capping.Cap{}
		for a := 0; a < 5; a++ {
			aid := "ad-" + strconv.Itoa(a)
			ads[aid] = []capping.Cap{{Count: 20, Window: capping.Lifetime}}
			req.Candidates = append(req.Candidates, capping.Candidate{CampaignID: cid, AdID: aid})
			ids := capping.Identifiers{DeviceID: "laptop", LoginID: "alice"}
			if a%2 == 0 {
				ids = capping.Identifiers{DeviceID: "phone"}
			}
			imps = append(imps, capping.Impression{TenantID: tenant,
				EventID: cid + aid, Owner: "s/1/0", Identifiers: ids, CampaignID: cid,
				AdID: aid, OccurredAt: now.Add(-time.Duration(a+1) * time.Minute)})
		}
		cfgs[tenant+"#"+cid] = capping.NewConfig(capping.CampaignCaps{Caps: []capping.Cap{
			{Count: 10, Window: capping.Day}, {Count: 6, Window: capping.Hour}}}, ads,
			mustLoad(b, "Europe/Berlin"))
	}
	counter := &capping.Counter{Store: store, Configs: cfgs, Now: func() time.Time { return now }}
	if _, err := counter.Count(ctx, imps); err != nil {
		b.Fatal(err)
	}
	req.At = &now
	return &capping.Decider{Store: store, Configs: cfgs, Now: time.Now}, req
}

func benchDecide(b *testing.B, store capping.Store) {
	d, req := benchSetup(b, store)
	ctx := context.Background()
	var lat []time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		out, st := d.Decide(ctx, tenant, req)
		lat = append(lat, time.Since(start))
		if st.Err != nil || len(out) != 50 || !out[0].Allowed {
			b.Fatalf("decision: %+v %+v", out[0], st)
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkDecideMemory is a warm in-process decision of 50 candidates on the
// in-memory store: the cost of the decision logic alone.
func BenchmarkDecideMemory(b *testing.B) { benchDecide(b, capping.NewMemory()) }

// BenchmarkDecideKumo is the same decision against DynamoDB on the local emulator
// (loopback HTTP, two BatchGetItem round trips).
func BenchmarkDecideKumo(b *testing.B) {
	if os.Getenv("CAPPING_BENCH_KUMO") == "" && testing.Short() {
		b.Skip("short")
	}
	benchDecide(b, newDynamo(b))
}

// BenchmarkCountKumo counts impressions one transaction each against kumo.
func BenchmarkCountKumo(b *testing.B) {
	store := newDynamo(b)
	cfgs := capping.Static{tenant + "#c": capping.NewConfig(capping.CampaignCaps{
		Caps: []capping.Cap{{Count: 5, Window: capping.Day}, {Count: 2, Window: capping.Hour}}},
		nil, time.UTC)}
	counter := &capping.Counter{Store: store, Configs: cfgs}
	ctx := context.Background()
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		batch := make([]capping.Impression, 100)
		for j := range batch {
			i++
			batch[j] = capping.Impression{TenantID: tenant, EventID: "e" + strconv.Itoa(i),
				Owner: "s/1/0", Identifiers: capping.Identifiers{UserID: "u" + strconv.Itoa(i%5000)},
				CampaignID: "c", OccurredAt: time.Now()}
		}
		res, err := counter.Count(ctx, batch)
		if err != nil || res.Counted != 100 {
			b.Fatalf("%+v %v", res, err)
		}
	}
	b.ReportMetric(float64(100*b.N)/b.Elapsed().Seconds(), "impressions/s")
}
