package event_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/adpulse/adpulse/shared/event"
)

func sample(n int, campaign string) []event.Event {
	evs := make([]event.Event, n)
	for i := range evs {
		evs[i] = event.Event{
			EventID: fmt.Sprintf("evt-%05d", i), Type: event.Impression, CampaignID: campaign,
			AdID: "ad-1", UserID: fmt.Sprintf("user-%d", i%37), OccurredAt: now,
			CostMicros: 1234, Currency: "USD", Channel: event.Display,
			Attributes: map[string]string{"slot": strings.Repeat("s", 100)},
		}
	}
	return evs
}

func TestPackRoundTripAndLimits(t *testing.T) {
	evs := append(sample(500, "c-1"), sample(20, "c-2")...)
	recs, err := event.Pack("t_1", evs, 16, now)
	if err != nil {
		t.Fatalf("pack: %v", err)
	}

	seen := make([]bool, len(evs))
	keys := map[string]bool{}
	for _, r := range recs {
		if len(r.Data) > event.MaxRecordBytes {
			t.Errorf("record of %d bytes, limit %d", len(r.Data), event.MaxRecordBytes)
		}
		keys[r.PartitionKey] = true
		rec, err := event.DecodeRecord(r.Data)
		if err != nil {
			t.Fatalf("decode record: %v", err)
		}
		if rec.TenantID != "t_1" || len(rec.Events) != len(r.Indexes) {
			t.Fatalf("record tenant %q with %d events for %d indexes", rec.TenantID,
				len(rec.Events), len(r.Indexes))
		}
		for j, raw := range rec.Events {
			e, err := event.Decode(raw, now)
			if err != nil {
				t.Fatalf("decode packed event: %v", err)
			}
			want := evs[r.Indexes[j]]
			if e.EventID != want.EventID || e.CampaignID != want.CampaignID ||
				!e.OccurredAt.Equal(want.OccurredAt) || e.CostMicros != want.CostMicros {
				t.Errorf("packed %+v, want %+v", e, want)
			}
			if !strings.HasPrefix(r.PartitionKey, "t_1/"+e.CampaignID+"/") {
				t.Errorf("event of %s in record keyed %s", e.CampaignID, r.PartitionKey)
			}
			seen[r.Indexes[j]] = true
		}
	}
	for i, ok := range seen {
		if !ok {
			t.Fatalf("event %d missing from every record", i)
		}
	}
	// 500 events of one campaign spread over the 16 salts; the second campaign adds more.
	if len(keys) < 20 {
		t.Errorf("only %d partition keys for two campaigns and 16 salts", len(keys))
	}
	// About 300 bytes an event: 520 events fit in far fewer records than events.
	if len(recs) > 60 {
		t.Errorf("%d records for %d events: packing does not pack", len(recs), len(evs))
	}
}

func TestSaltIsStablePerEventID(t *testing.T) {
	a := event.PartitionKey("t", "c", "event-42", 16)
	b := event.PartitionKey("t", "c", "event-42", 16)
	if a != b {
		t.Errorf("same event id gave keys %s and %s", a, b)
	}
	if got := event.Salt("anything", 1); got != 0 {
		t.Errorf("one salt gave %d", got)
	}
}

func TestDecodeRecordRejects(t *testing.T) {
	cases := map[string]string{
		"not json":     `hello`,
		"old version":  `{"v":0,"tenant_id":"t","events":[{}]}`,
		"no tenant":    `{"v":1,"events":[{}]}`,
		"no events":    `{"v":1,"tenant_id":"t","events":[]}`,
		"events wrong": `{"v":1,"tenant_id":"t","events":"x"}`,
	}
	for name, data := range cases {
		if _, err := event.DecodeRecord([]byte(data)); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}
