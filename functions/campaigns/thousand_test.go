package main

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/adpulse/adpulse/shared/campaign"
)

// TestListThousandOverHTTP pages through 1,000 campaigns with the API's cursors for
// every sort and direction: each comes back exactly once, in order. The campaigns are
// written straight through the store, with clashing names and timestamps.
func TestListThousandOverHTTP(t *testing.T) {
	h := newTestHandler(t)
	spec, err := campaign.DecodeSpec([]byte(body1))
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	all := make([]campaign.Campaign, 1000)
	for i := range all {
		sp := spec
		prefix := []string{"Sale", "sale", "SALE", "Éte", "été"}[i%5]
		sp.Name = fmt.Sprintf("%s %d", prefix, i%37)
		c := campaign.New(managerA.TenantID, managerA.UserID, sp, base)
		c.CreatedAt = base.Add(time.Duration(i%250) * time.Second)
		c.UpdatedAt = base.Add(time.Duration(i%333) * time.Minute)
		all[i] = c
	}
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(all); i += 8 {
				if err := h.Store.Create(context.Background(), all[i], nil); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("wrote 1,000 campaigns in %v", time.Since(start))

	for _, sortParam := range []string{"created_at", "-created_at", "updated_at",
		"-updated_at", "name", "-name"} {
		t.Run(sortParam, func(t *testing.T) {
			field := campaign.SortField(trimDash(sortParam))
			desc := sortParam[0] == '-'
			want := make([]campaign.Campaign, len(all))
			copy(want, all)
			sort.Slice(want, func(i, j int) bool {
				a, b := campaign.SortKey(want[i], field), campaign.SortKey(want[j], field)
				return a < b != desc
			})

			query := map[string]string{"sort": sortParam, "limit": "100"}
			seen := map[string]bool{}
			n := 0
			for query != nil {
				out := do(t, h, request{who: analystA, method: "GET", path: "/v1/campaigns",
					query: query})
				if out.StatusCode != 200 {
					t.Fatalf("page: got %d %s", out.StatusCode, out.Body)
				}
				page := decode[listBody](t, out)
				for _, c := range page.Items {
					if seen[c.ID] {
						t.Fatalf("%s came back twice", c.ID)
					}
					seen[c.ID] = true
					if c.ID != want[n].ID {
						t.Fatalf("position %d: got %s, want %s", n, c.ID, want[n].ID)
					}
					n++
				}
				query = nil
				if page.Links.Next != "" {
					query = follow(t, page.Links.Next)
				}
			}
			if n != len(all) {
				t.Fatalf("got %d campaigns, want %d", n, len(all))
			}
		})
	}
}

func trimDash(s string) string {
	if s != "" && s[0] == '-' {
		return s[1:]
	}
	return s
}
