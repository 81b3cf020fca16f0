package campaign_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/kumotest"
)

// newStore starts an emulator and creates a Campaigns table in it.
func newStore(t *testing.T) *campaign.Store {
	t.Helper()
	db := dynamodb.NewFromConfig(kumotest.Start(t))
	ctx := context.Background()
	if _, err := db.CreateTable(ctx, campaign.TableInput("Campaigns")); err != nil {
		t.Fatalf("create table: %v", err)
	}
	_, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String("Campaigns"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(campaign.AttrTTL), Enabled: aws.Bool(true)},
	})
	if err != nil {
		t.Fatalf("enable ttl: %v", err)
	}
	return campaign.NewStore(db, "Campaigns")
}

func TestStoreWriteReadHistory(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	c := campaign.New("t_a", "u_1", mustSpec(t, validBody), time.Now())
	if err := s.Create(ctx, c, nil); err != nil {
		t.Fatalf("create: %v", err)
	}
	got, err := s.Get(ctx, "t_a", c.ID)
	if err != nil || got.Name != c.Name || got.Version != 1 || got.TenantID != "t_a" {
		t.Fatalf("get: got %+v, %v", got, err)
	}
	if _, err := s.Get(ctx, "t_b", c.ID); !errors.Is(err, campaign.ErrNotFound) {
		t.Errorf("get from another tenant: got %v, want ErrNotFound", err)
	}

	// One writer wins on a version; the other finds the version moved.
	next := got
	next.Name = "Renamed"
	v2, err := s.Update(ctx, got, next, "u_2", "patch")
	if err != nil || v2.Version != 2 || v2.UpdatedBy != "u_2" {
		t.Fatalf("update: got %+v, %v", v2, err)
	}
	next.Name = "Lost"
	if _, err := s.Update(ctx, got, next, "u_3", "patch"); !errors.Is(err,
		campaign.ErrVersionConflict) {
		t.Fatalf("stale update: got %v, want ErrVersionConflict", err)
	}
	same, err := s.Update(ctx, v2, v2, "u_2", "patch")
	if err != nil || same.Version != 2 {
		t.Fatalf("no-op update: got version %d, %v; want 2 and no write", same.Version, err)
	}

	entries, err := s.History(ctx, "t_a", c.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("history: got %d entries, want 2", len(entries))
	}
	if e := entries[0]; e.Version != 2 || e.Actor != "u_2" || e.Action != "patch" ||
		len(e.Changes) != 1 || e.Changes[0].Field != "name" ||
		string(e.Changes[0].To) != `"Renamed"` {
		t.Errorf("newest entry: got %+v", e)
	}
	if e := entries[1]; e.Version != 1 || e.Action != "create" || e.Actor != "u_1" {
		t.Errorf("oldest entry: got %+v", e)
	}
	if other, _ := s.History(ctx, "t_b", c.ID, 10); len(other) != 0 {
		t.Errorf("history from another tenant: got %d entries, want 0", len(other))
	}
}

func TestStoreIdempotencyRecord(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	rec := &campaign.Replay{Key: "k1", BodyHash: "h", Status: 201, Body: "{}"}
	c := campaign.New("t_a", "u_1", mustSpec(t, validBody), time.Now())
	if err := s.Create(ctx, c, rec); err != nil {
		t.Fatal(err)
	}
	got, err := s.Replay(ctx, "t_a", "k1")
	if err != nil || got == nil || got.BodyHash != "h" || got.Status != 201 {
		t.Fatalf("replay: got %+v, %v", got, err)
	}
	if other, _ := s.Replay(ctx, "t_b", "k1"); other != nil {
		t.Errorf("another tenant's key: got %+v, want none", other)
	}
	c2 := campaign.New("t_a", "u_1", mustSpec(t, validBody), time.Now())
	if err := s.Create(ctx, c2, &campaign.Replay{Key: "k1"}); !errors.Is(err,
		campaign.ErrKeyInUse) {
		t.Fatalf("second create with the key: got %v, want ErrKeyInUse", err)
	}
	if _, err := s.Get(ctx, "t_a", c2.ID); !errors.Is(err, campaign.ErrNotFound) {
		t.Errorf("the refused campaign was written: %v", err)
	}

	// Past its expiry the record is gone for readers and may be replaced.
	s.Now = func() time.Time { return time.Now().Add(campaign.IdempotencyTTL + time.Minute) }
	if got, _ := s.Replay(ctx, "t_a", "k1"); got != nil {
		t.Errorf("expired record: got %+v, want none", got)
	}
	if err := s.Create(ctx, c2, &campaign.Replay{Key: "k1"}); err != nil {
		t.Errorf("create over an expired record: %v", err)
	}
}

// TestListEveryOrder lists 1,000 campaigns page by page for every sort and direction and
// checks each comes back exactly once, in order.
func TestListEveryOrder(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	all := seed(t, s, "t_a", 1000)
	seed(t, s, "t_b", 5) // another tenant's campaigns never show

	for _, f := range []campaign.SortField{campaign.SortCreated, campaign.SortUpdated,
		campaign.SortName} {
		for _, desc := range []bool{false, true} {
			name := fmt.Sprintf("%s desc=%v", f, desc)
			t.Run(name, func(t *testing.T) {
				want := expectedOrder(all, f, desc)
				q := campaign.Query{Sort: f, Descending: desc, Limit: 37}
				var got []string
				for pages := 0; ; pages++ {
					if pages > 100 {
						t.Fatal("more than 100 pages")
					}
					page, err := s.List(ctx, "t_a", q)
					if err != nil {
						t.Fatal(err)
					}
					for _, c := range page.Items {
						got = append(got, c.ID)
					}
					if page.Next == nil {
						break
					}
					q.After = page.Next
				}
				if len(got) != len(want) {
					t.Fatalf("got %d campaigns, want %d", len(got), len(want))
				}
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("position %d: got %s, want %s", i, got[i], want[i])
					}
				}
			})
		}
	}
}

func TestListFilters(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	all := seed(t, s, "t_a", 60)
	archived := all[0]
	next := archived
	next.Status = campaign.Archived
	if _, err := s.Update(ctx, archived, next, "u", "archive"); err != nil {
		t.Fatal(err)
	}
	count := func(q campaign.Query) int {
		q.Limit, q.Sort = 7, campaign.SortName
		seen := map[string]bool{}
		for {
			page, err := s.List(ctx, "t_a", q)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range page.Items {
				if seen[c.ID] {
					t.Fatalf("%s listed twice", c.ID)
				}
				seen[c.ID] = true
			}
			if page.Next == nil {
				return len(seen)
			}
			q.After = page.Next
		}
	}
	cases := []struct {
		name string
		q    campaign.Query
		want int
	}{
		{"default hides archived", campaign.Query{}, 59},
		{"archived", campaign.Query{Status: campaign.Archived}, 1},
		{"drafts", campaign.Query{Status: campaign.Draft}, 59},
		{"brand", campaign.Query{BrandID: "brand_1"}, 20},
		{"channel", campaign.Query{Channel: campaign.Video}, 29}, // all[0] is archived
		{"brand and channel", campaign.Query{BrandID: "brand_2", Channel: campaign.Video},
			10},
		{"no match", campaign.Query{BrandID: "nobody"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := count(tc.q); got != tc.want {
				t.Errorf("got %d campaigns, want %d", got, tc.want)
			}
		})
	}
}

// seed writes n campaigns of a tenant through the store, with clashing names (in
// several cases) and clashing timestamps so that the id tie-break matters.
func seed(t *testing.T, s *campaign.Store, tenant string, n int) []campaign.Campaign {
	t.Helper()
	start := time.Now()
	rnd := rand.New(rand.NewSource(1))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]campaign.Campaign, n)
	spec := mustSpec(t, validBody)
	for i := range out {
		sp := spec
		sp.Name = []string{"alpha", "Alpha", "beta", "Éclair", "éclair", "zeta", "Zeta 2",
			"ä"}[rnd.Intn(8)] + fmt.Sprint(rnd.Intn(n/4+1))
		sp.BrandID = fmt.Sprintf("brand_%d", i%3)
		sp.Channels = []campaign.Channel{campaign.Display}
		if i%2 == 0 {
			sp.Channels = append(sp.Channels, campaign.Video)
		}
		c := campaign.New(tenant, "u_seed", sp, base)
		c.CreatedAt = base.Add(time.Duration(rnd.Intn(n/2)) * time.Second)
		c.UpdatedAt = c.CreatedAt.Add(time.Duration(rnd.Intn(n)) * time.Millisecond)
		out[i] = c
	}

	work := make(chan campaign.Campaign)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				if err := s.Create(context.Background(), c, nil); err != nil {
					errs <- err
				}
			}
		}()
	}
	for _, c := range out {
		work <- c
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("seed: %v", err)
	}
	t.Logf("seeded %d campaigns of %s in %v", n, tenant, time.Since(start))
	return out
}

func expectedOrder(all []campaign.Campaign, f campaign.SortField, desc bool) []string {
	sorted := append([]campaign.Campaign(nil), all...)
	sort.Slice(sorted, func(i, j int) bool {
		a, b := campaign.SortKey(sorted[i], f), campaign.SortKey(sorted[j], f)
		if desc {
			return a > b
		}
		return a < b
	})
	ids := make([]string, len(sorted))
	for i, c := range sorted {
		ids[i] = c.ID
	}
	return ids
}
