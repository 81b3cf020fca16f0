package ratelimit

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/adpulse/adpulse/shared/kumotest"
)

// newTable starts kumo and creates a rate-limit table shaped as the stack's.
func newTable(t *testing.T) *dynamodb.Client {
	t.Helper()
	db := dynamodb.NewFromConfig(kumotest.Start(t))
	kumotest.CreateTable(t, db, "RateLimits", "pk", "")
	return db
}

func TestTake(t *testing.T) {
	// GIVEN a limit of 3 a minute and a clock 20.5 s into a minute WHEN one user asks
	// five times, another user and the first user's id in another tenant ask once, and the
	// first user asks again in the next minute THEN the first three pass with 2, 1, 0 left,
	// the fourth and fifth wait the 40 s to the minute's end, and the others pass.
	db := newTable(t)
	now := time.Date(2026, 12, 4, 10, 15, 20, 500_000_000, time.UTC)
	l := &Limiter{DB: db, Table: "RateLimits", Limit: 3, Window: time.Minute,
		Now: func() time.Time { return now }}
	ctx := context.Background()
	steps := []struct {
		key       string
		later     time.Duration
		allowed   bool
		remaining int
		retry     time.Duration
	}{
		{"user#t1#u1", 0, true, 2, 0},
		{"user#t1#u1", 0, true, 1, 0},
		{"user#t1#u1", 0, true, 0, 0},
		{"user#t1#u1", 0, false, 0, 40 * time.Second},
		{"user#t1#u1", 0, false, 0, 40 * time.Second},
		{"user#t1#u2", 0, true, 2, 0},
		{"user#t2#u1", 0, true, 2, 0},
		{"user#t1#u1", 39*time.Second + 500*time.Millisecond, true, 2, 0},
	}
	for i, s := range steps {
		l.Now = func() time.Time { return now.Add(s.later) }
		d, err := l.Take(ctx, s.key)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		want := Decision{Allowed: s.allowed, Limit: 3, Remaining: s.remaining,
			RetryAfter: s.retry}
		if d != want {
			t.Errorf("step %d (%s): got %+v, want %+v", i, s.key, d, want)
		}
	}
}

func TestTakeRoundsRetryAfterUp(t *testing.T) {
	// GIVEN a limit of 1 and a clock 0.2 s before the window ends WHEN refused THEN the
	// caller waits 1 s, never 0.
	db := newTable(t)
	now := time.Date(2026, 12, 4, 10, 15, 59, 800_000_000, time.UTC)
	l := &Limiter{DB: db, Table: "RateLimits", Limit: 1, Window: time.Minute,
		Now: func() time.Time { return now }}
	if _, err := l.Take(context.Background(), "k"); err != nil {
		t.Fatal(err)
	}
	d, err := l.Take(context.Background(), "k")
	if err != nil || d.Allowed || d.RetryAfter != time.Second {
		t.Fatalf("got %+v, %v; want refused with 1 s", d, err)
	}
}

type failingDB struct{}

func (failingDB) UpdateItem(context.Context, *dynamodb.UpdateItemInput,
	...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return nil, errors.New("connection refused")
}

func TestTakeError(t *testing.T) {
	// GIVEN a table that cannot be reached WHEN taking THEN the error names the table.
	l := &Limiter{DB: failingDB{}, Table: "RateLimits", Limit: 1, Window: time.Minute}
	_, err := l.Take(context.Background(), "k")
	if err == nil || err.Error() != "rate limit RateLimits: connection refused" {
		t.Fatalf("got %v", err)
	}
}
