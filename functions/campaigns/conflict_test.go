package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/adpulse/adpulse/shared/campaign"
)

// TestUnconditionalWritesAllSucceed sends concurrent PATCHes without a precondition
// (no If-Match, or If-Match: *): every one is applied, none answers 412, and the
// version goes up by one per write.
func TestUnconditionalWritesAllSucceed(t *testing.T) {
	h := newTestHandler(t)
	const n = 12
	for _, ifMatch := range []string{"", "*"} {
		t.Run(fmt.Sprintf("If-Match %q", ifMatch), func(t *testing.T) {
			c, _ := create(t, h, managerA, body1)
			path := "/v1/campaigns/" + c.ID
			codes := make([]int, n)
			bodies := make([]string, n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range codes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					hd := map[string]string{"Content-Type": "application/merge-patch+json"}
					if ifMatch != "" {
						hd["If-Match"] = ifMatch
					}
					<-start
					out := do(t, h, request{who: managerA, method: "PATCH", path: path,
						body: fmt.Sprintf(`{"name": "writer %d"}`, i), headers: hd})
					codes[i], bodies[i] = out.StatusCode, out.Body
				}()
			}
			close(start)
			wg.Wait()
			for i, code := range codes {
				if code != 200 {
					t.Errorf("writer %d: got %d %s, want 200", i, code, bodies[i])
				}
			}
			got := decode[campaign.Campaign](t, do(t, h, request{who: managerA,
				method: "GET", path: path}))
			if got.Version != 1+n {
				t.Errorf("final version %d, want %d", got.Version, 1+n)
			}
			hist := decode[struct{ Items []campaign.Entry }](t, do(t, h, request{
				who: managerA, method: "GET", path: path + "/history",
				query: map[string]string{"limit": "100"}}))
			if len(hist.Items) != 1+n {
				t.Errorf("history has %d entries, want %d", len(hist.Items), 1+n)
			}
		})
	}
}

// losingDB is a DynamoDB whose transactions always fail: the version moved
// (ConditionalCheckFailed) or another transaction was in flight (TransactionConflict).
type losingDB struct {
	campaign.DB
	mu     sync.Mutex
	code   string
	writes int
}

func (d *losingDB) TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput,
	...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.writes++
	return nil, &types.TransactionCanceledException{Message: aws.String("cancelled"),
		CancellationReasons: []types.CancellationReason{
			{Code: aws.String(d.code)}, {Code: aws.String("None")}}}
}

// TestContentionExhausted: when every attempt loses the race, a write without a
// precondition answers 409 conflict (never 412, never a word about If-Match) after a
// bounded number of attempts; a write with a specific ETag answers 412 at once, unless
// the write was only refused for a concurrent transaction, which is retried.
func TestContentionExhausted(t *testing.T) {
	h := newTestHandler(t)
	c, etag := create(t, h, managerA, body1)
	losing := &losingDB{DB: h.Store.DB}
	h.Store = &campaign.Store{DB: losing, Table: h.Store.Table, Now: time.Now}
	h.retry = retryPolicy{attempts: 5, base: time.Millisecond, max: 2 * time.Millisecond}
	const moved, busy = "ConditionalCheckFailed", "TransactionConflict"
	cases := []struct {
		name, dbCode, ifMatch string
		status                int
		code                  string
		writes                int
	}{
		{"no If-Match", moved, "", 409, "conflict", 5},
		{"If-Match *", moved, "*", 409, "conflict", 5},
		{"list with *", moved, `"x", *`, 409, "conflict", 5},
		{"current ETag", moved, etag, 412, "precondition_failed", 1},
		{"busy, no If-Match", busy, "", 409, "conflict", 5},
		{"busy, current ETag", busy, etag, 409, "conflict", 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			losing.writes, losing.code = 0, tc.dbCode
			hd := map[string]string{"Content-Type": "application/merge-patch+json"}
			if tc.ifMatch != "" {
				hd["If-Match"] = tc.ifMatch
			}
			out := do(t, h, request{who: managerA, method: "PATCH",
				path: "/v1/campaigns/" + c.ID, body: `{"name": "x"}`, headers: hd})
			wantStatus(t, "patch", out, tc.status)
			p := decode[problem](t, out)
			if p.Error.Code != tc.code || losing.writes != tc.writes {
				t.Errorf("got code %s after %d writes, want %s after %d", p.Error.Code,
					losing.writes, tc.code, tc.writes)
			}
			if tc.status == 409 && strings.Contains(p.Error.Message, "If-Match") {
				t.Errorf("message %q mentions If-Match", p.Error.Message)
			}
		})
	}
}

// TestRetryPolicyBounded: the backoff stays within its cap, and no attempt starts
// when the time left before the deadline is under the margin.
func TestRetryPolicyBounded(t *testing.T) {
	p := retryPolicy{attempts: 10, base: 10 * time.Millisecond, max: 80 * time.Millisecond,
		margin: time.Second}
	for attempt := 1; attempt < 20; attempt++ {
		if d := p.backoff(attempt); d < 0 || d > p.max {
			t.Errorf("backoff(%d) = %v, want 0 to %v", attempt, d, p.max)
		}
	}
	cases := []struct {
		name    string
		left    time.Duration // time before the deadline; 0: no deadline
		attempt int
		want    bool
	}{
		{"first retry, no deadline", 0, 1, true},
		{"last allowed attempt", 0, 9, true},
		{"attempts used up", 0, 10, false},
		{"plenty of time", 5 * time.Second, 3, true},
		{"deadline near", 900 * time.Millisecond, 3, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.left > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.left)
				defer cancel()
			}
			if got := p.again(ctx, tc.attempt, 0); got != tc.want {
				t.Errorf("again(attempt %d, %v left) = %v, want %v", tc.attempt, tc.left,
					got, tc.want)
			}
		})
	}
}
