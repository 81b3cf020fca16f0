package aggregate

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/shared/event"
)

// foldPerRow is the fold as it was before events were summed per group and record: each
// event is counted straight into every row it lands in. fold must give the same rows.
func foldPerRow(items []item, claimed []bool, cutoff string, now time.Time,
	retention time.Duration) []*row {
	f := folder{byKey: map[[2]string]*row{}, memo: map[memoKey]*group{}, now: now,
		retention: retention}
	for i := range items {
		it := &items[i]
		if !claimed[i] || (cutoff != "" && !seqLess(it.seq, cutoff)) {
			continue
		}
		for _, r := range f.groupOf(it).rows {
			if n := len(r.contribs); n == 0 || r.contribs[n-1].seq != it.seq {
				r.contribs = append(r.contribs, contrib{seq: it.seq})
			}
			r.contribs[len(r.contribs)-1].add.AddEvent(&it.ev)
		}
	}
	return f.rows
}

func TestFoldMatchesPerRowFold(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	now := at.Add(2 * time.Hour)
	var in events.KinesisEvent
	for r := 0; r < 12; r++ {
		var evs []event.Event
		for i := 0; i < 40; i++ {
			n := r*40 + i
			e := event.Event{EventID: fmt.Sprintf("e-%d", n), Type: event.Impression,
				CampaignID: fmt.Sprintf("c-%d", r%3), AdID: fmt.Sprintf("a-%d", n%4),
				UserID: "u", OccurredAt: at.Add(time.Duration(n%700) * time.Second)}
			switch n % 5 {
			case 1:
				e.Type, e.CostMicros, e.Currency = event.Click, int64(n), "EUR"
			case 2:
				e.Type, e.ValueMicros, e.Currency = event.Conversion, int64(n), "USD"
				if n%3 == 0 {
					e.AdID = ""
				}
			case 3:
				e.CostMicros, e.Currency = 7, "USD"
			}
			evs = append(evs, e)
		}
		packed, err := event.Pack("t", evs, 2, at)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range packed {
			seq := fmt.Sprintf("4959%052d", len(in.Records))
			in.Records = append(in.Records, events.KinesisEventRecord{
				EventID: "shardId-000000000001:" + seq,
				Kinesis: events.KinesisRecord{Data: p.Data, SequenceNumber: seq}})
		}
	}
	bt := parseBatch(in, now)
	if len(bt.poison) != 0 || len(bt.items) != 480 {
		t.Fatalf("parsed %d items, %d poison", len(bt.items), len(bt.poison))
	}
	claimed := make([]bool, len(bt.items))
	for i := range claimed {
		claimed[i] = i%7 != 3
	}
	for _, cutoff := range []string{"", in.Records[len(in.Records)/2].Kinesis.SequenceNumber} {
		got := fold(bt.items, claimed, cutoff, now, time.Hour)
		want := foldPerRow(bt.items, claimed, cutoff, now, time.Hour)
		if len(got) != len(want) {
			t.Fatalf("cutoff %q: %d rows, want %d", cutoff, len(got), len(want))
		}
		for i := range got {
			g, w := got[i], want[i]
			if g.pk != w.pk || g.sk != w.sk || g.expiresAt != w.expiresAt ||
				len(g.contribs) != len(w.contribs) {
				t.Fatalf("cutoff %q: row %d is %+v, want %+v", cutoff, i, g, w)
			}
			for j := range g.contribs {
				gc, wc := g.contribs[j], w.contribs[j]
				if gc.seq != wc.seq || gc.add.Impressions != wc.add.Impressions ||
					gc.add.Clicks != wc.add.Clicks || gc.add.Conversions != wc.add.Conversions ||
					!sameMoney(gc.add.Spend, wc.add.Spend) ||
					!sameMoney(gc.add.Value, wc.add.Value) {
					t.Fatalf("cutoff %q: row %s %s contrib %d is %+v, want %+v",
						cutoff, g.pk, g.sk, j, gc, wc)
				}
			}
		}
	}
}

func sameMoney(a, b map[string]int64) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}
