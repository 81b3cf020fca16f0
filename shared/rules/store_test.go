package rules_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/adpulse/adpulse/shared/kumotest"
	"github.com/adpulse/adpulse/shared/rules"
)

func newStore(t *testing.T) *rules.Store {
	t.Helper()
	db := dynamodb.NewFromConfig(kumotest.Start(t))
	if _, err := db.CreateTable(context.Background(), rules.TableInput("Rules")); err != nil {
		t.Fatalf("create table: %v", err)
	}
	return rules.NewStore(db, "Rules")
}

func newRule(tenant, campaignID string) rules.Rule {
	spec := rules.DefaultSpec()
	spec.Name, spec.CampaignID = "r", campaignID
	spec.Conditions = []rules.Condition{cond(rules.Spend, rules.GE, 5_000_000)}
	spec.Channels = []rules.Channel{{Type: rules.Email, To: []string{"a@example.com"}}}
	return rules.New(tenant, "u", spec, time.Now())
}

func TestRulesPerTenantAndCampaign(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	own := newRule("t_a", "cmp_1")
	wide := newRule("t_a", "")
	other := newRule("t_a", "cmp_2")
	disabled := newRule("t_a", "cmp_1")
	disabled.Enabled = false
	for _, r := range []rules.Rule{own, wide, other, disabled, newRule("t_b", "cmp_1")} {
		if err := s.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Create(ctx, own); !errors.Is(err, rules.ErrConflict) {
		t.Errorf("create twice: got %v, want ErrConflict", err)
	}

	all, err := s.List(ctx, "t_a")
	if err != nil || len(all) != 4 {
		t.Fatalf("list t_a: got %d rules, %v; want 4", len(all), err)
	}
	cache := rules.NewCache(s, time.Minute)
	got, err := cache.Rules(ctx, "t_a", "cmp_1")
	if err != nil || len(got) != 2 || got[0].ID != own.ID && got[1].ID != own.ID {
		t.Errorf("rules of cmp_1: got %d rules, %v; want its own and the tenant-wide", len(got),
			err)
	}
	if _, err := s.Get(ctx, "t_b", own.ID); !errors.Is(err, rules.ErrNotFound) {
		t.Errorf("get another tenant's rule: got %v, want ErrNotFound", err)
	}

	// Update is conditional on the version read.
	next := own
	next.Name = "renamed"
	saved, err := s.Update(ctx, own, next, "u2")
	if err != nil || saved.Version != 2 || saved.UpdatedBy != "u2" {
		t.Fatalf("update: got %+v, %v", saved, err)
	}
	if _, err := s.Update(ctx, own, next, "u3"); !errors.Is(err, rules.ErrConflict) {
		t.Errorf("update from a stale version: got %v, want ErrConflict", err)
	}
	if err := s.Delete(ctx, "t_a", own.ID, 1); !errors.Is(err, rules.ErrConflict) {
		t.Errorf("delete a stale version: got %v, want ErrConflict", err)
	}
	if err := s.Delete(ctx, "t_a", own.ID, 2); err != nil {
		t.Errorf("delete: got %v", err)
	}
}

// TestClaimTransitionOnce: evaluations racing on the same state claim a firing once.
func TestClaimTransitionOnce(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	r := newRule("t_a", "cmp_1")
	from, err := s.State(ctx, "t_a", r.ID, "cmp_1")
	if err != nil || from.Version != 0 {
		t.Fatalf("initial state: got %+v, %v", from, err)
	}
	to, action := rules.Step(&r, from, true, t0)
	if action != rules.Fire {
		t.Fatalf("step: got %q, want fire", action)
	}

	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.ClaimTransition(ctx, "t_a", r.ID, "cmp_1", from, to)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, rules.ErrConflict):
				conflicts++
			default:
				t.Errorf("claim: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || conflicts != 7 {
		t.Errorf("claims: got %d wins and %d conflicts, want 1 and 7", wins, conflicts)
	}

	stored, err := s.States(ctx, "t_a", "cmp_1")
	got := stored[r.ID]
	if err != nil || got.Version != 1 || got.Phase != rules.Firing || got.Episode != 1 ||
		!got.LastFiredAt.Equal(t0) {
		t.Fatalf("stored state: got %+v, %v", got, err)
	}

	// The next transition claims from version 1; a replay of the first claim conflicts.
	back, _ := rules.Step(&r, got, false, t0.Add(time.Minute))
	if saved, err := s.ClaimTransition(ctx, "t_a", r.ID, "cmp_1", got, back); err != nil ||
		saved.Version != 2 || saved.Phase != rules.OK {
		t.Errorf("re-arm: got %+v, %v", saved, err)
	}
	if _, err := s.ClaimTransition(ctx, "t_a", r.ID, "cmp_1", from, to); !errors.Is(err,
		rules.ErrConflict) {
		t.Errorf("replayed claim: got %v, want ErrConflict", err)
	}
}
