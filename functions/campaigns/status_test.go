package main

import (
	"testing"

	"github.com/adpulse/adpulse/shared/campaign"
)

// TestSameStatusIsNoOp: moving a campaign to the status it has answers 200 with the
// campaign unchanged: same body and ETag, no new version, no history entry. A retried
// status change that already succeeded therefore succeeds again.
func TestSameStatusIsNoOp(t *testing.T) {
	h := newTestHandler(t)
	for _, s := range campaign.Statuses {
		t.Run(string(s), func(t *testing.T) {
			c, _ := create(t, h, managerA, body1)
			reach(t, h, c.ID, s)
			path := "/v1/campaigns/" + c.ID
			before := do(t, h, request{who: managerA, method: "GET", path: path})
			historyLen := func() int {
				return len(decode[struct{ Items []campaign.Entry }](t, do(t, h, request{
					who: managerA, method: "GET", path: path + "/history"})).Items)
			}
			entries := historyLen()
			for _, etag := range []string{"", before.Headers["ETag"]} {
				out := setStatus(t, h, c.ID, s, etag)
				wantStatus(t, "same status", out, 200)
				if out.Body != before.Body || out.Headers["ETag"] != before.Headers["ETag"] {
					t.Errorf("If-Match %q: got %s %s, want the campaign unchanged: %s %s",
						etag, out.Headers["ETag"], out.Body, before.Headers["ETag"],
						before.Body)
				}
			}
			if got := historyLen(); got != entries {
				t.Errorf("history has %d entries, want %d", got, entries)
			}
		})
	}
}
