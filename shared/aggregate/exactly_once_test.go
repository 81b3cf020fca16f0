package aggregate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/adpulse/adpulse/shared/aggregate"
	"github.com/adpulse/adpulse/shared/event"
	"github.com/adpulse/adpulse/shared/totals"
)

func TestEachEventCountsOnce(t *testing.T) {
	e := newEnv(t) // one emulator; each case uses its own campaign
	cases := []struct {
		name    string
		deliver func(t *testing.T, s *stream, evs []event.Event)
	}{
		{"delivered once", func(t *testing.T, s *stream, evs []event.Event) {
			e.handle(t, s.pack(t, evs))
		}},
		{"same batch delivered twice", func(t *testing.T, s *stream, evs []event.Event) {
			recs := s.pack(t, evs)
			e.handle(t, recs)
			e.handle(t, recs)
		}},
		{"bisected retry after the whole batch", func(t *testing.T, s *stream, evs []event.Event) {
			recs := s.pack(t, evs)
			half := len(recs) / 2
			e.handle(t, recs[:half])
			e.handle(t, recs)
			e.handle(t, recs[half:])
		}},
		{"same events sent again as new records", func(t *testing.T, s *stream,
			evs []event.Event) {
			e.handle(t, s.pack(t, evs))
			e.handle(t, s.pack(t, evs))
		}},
		{"duplicates inside one batch", func(t *testing.T, s *stream, evs []event.Event) {
			e.handle(t, s.pack(t, append(append([]event.Event{}, evs...), evs[:7]...)))
		}},
		// A deploy overlaps producers writing uncompressed records with consumers that
		// read both encodings; a copy may travel once in each.
		{"uncompressed records, then copies compressed", func(t *testing.T, s *stream,
			evs []event.Event) {
			e.handle(t, s.packWith(t, evs, event.CodecJSON))
			e.handle(t, s.pack(t, evs))
		}},
		{"one batch of both encodings, copies in each", func(t *testing.T, s *stream,
			evs []event.Event) {
			half := len(evs) / 2
			recs := s.packWith(t, evs[:half+10], event.CodecJSON)
			recs = append(recs, s.pack(t, evs[half-10:])...)
			e.handle(t, recs)
			e.handle(t, recs)
			e.handle(t, recs) // and the batch delivered again
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			campaign := "camp-" + string(rune('a'+i))
			evs := traffic(60)
			for j := range evs {
				evs[j].CampaignID = campaign
			}
			// A shard of its own per case: the cases' streams hand out the same sequence
			// numbers, and their events the same ids.
			s := newStream()
			s.shard = fmt.Sprintf("shardId-%012d", 100+i)
			tc.deliver(t, s, evs)

			got := e.campaign(t, campaign)
			assertCounters(t, "campaign totals", got.Totals, want(evs))
			assertAdsAndMinutes(t, e, campaign, got, evs)
		})
	}
}

// assertAdsAndMinutes checks each ad's totals and that the minute buckets add up.
func assertAdsAndMinutes(t *testing.T, e *env, campaign string, got totals.Campaign,
	evs []event.Event) {
	t.Helper()
	byAd := map[string][]event.Event{}
	for _, ev := range evs {
		byAd[ev.AdID] = append(byAd[ev.AdID], ev)
	}
	for ad, adEvs := range byAd {
		assertCounters(t, "ad "+ad, got.Ads[ad], want(adEvs))
	}

	for _, g := range totals.Grains {
		buckets, err := e.reader.Buckets(context.Background(), tenant, campaign, g, base,
			base.Add(time.Hour))
		if err != nil {
			t.Fatalf("read buckets: %v", err)
		}
		if want := map[totals.Grain]int{totals.Minute: 3, totals.Hour: 1, totals.Day: 1,
			totals.Month: 1}[g]; len(buckets) != want {
			t.Fatalf("grain %d: got %d buckets, want %d", g, len(buckets), want)
		}
		var sum totals.Counters
		for _, b := range buckets {
			sum.Add(b.Counters)
		}
		assertCounters(t, fmt.Sprintf("sum of grain %d", g), sum, got.Totals)
	}

	for _, g := range totals.TenantGrains {
		byCampaign, err := e.reader.TenantBucket(context.Background(), tenant, g, base)
		if err != nil {
			t.Fatalf("read tenant bucket: %v", err)
		}
		assertCounters(t, "tenant "+g.String()+" bucket", byCampaign[campaign], got.Totals)
	}

	people := map[string]bool{}
	for i := range evs {
		if evs[i].Type == event.Impression {
			people[string(aggregate.Person(&evs[i]))] = true
		}
	}
	reach, err := e.reader.Reach(context.Background(), tenant, campaign, base,
		base.Add(time.Hour))
	if err != nil {
		t.Fatalf("read reach: %v", err)
	}
	if diff := math.Abs(float64(reach.People) - float64(len(people))); diff > 0.02*float64(
		len(people)) {
		t.Errorf("reach %d, exact %d", reach.People, len(people))
	}
}

func TestFailedWritesResumeFromLowestFailedRecord(t *testing.T) {
	cases := []struct {
		name   string
		inject func(f *flakyDB, evs []event.Event)
	}{
		{"a rollup row is throttled", func(f *flakyDB, evs []event.Event) {
			f.failSK = map[string]bool{
				totals.MinuteSK(base.Add(2*time.Minute), "shardId-000000000000"): true}
		}},
		{"a de-duplication log write is throttled", func(f *flakyDB, evs []event.Event) {
			f.failClaim = map[string]bool{logKey(evs[40].OccurredAt): true}
		}},
		{"a de-duplication log read is throttled", func(f *flakyDB, evs []event.Event) {
			f.failQuery = map[string]bool{logKey(evs[40].OccurredAt): true}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			flaky := &flakyDB{DynamoAPI: e.db}
			e.handler.DB = flaky
			evs := traffic(80)
			tc.inject(flaky, evs)
			recs := newStream().pack(t, evs)

			resp := e.handle(t, recs)
			if len(resp.BatchItemFailures) != 1 {
				t.Fatalf("got %d batch item failures, want 1", len(resp.BatchItemFailures))
			}
			from := resp.BatchItemFailures[0].ItemIdentifier
			if from == "" {
				t.Fatal("batch item failure has an empty item identifier")
			}

			// Lambda delivers again from the lowest failed record on.
			retry := recordsFrom(t, recs, from)
			if resp := e.handle(t, retry); len(resp.BatchItemFailures) != 0 {
				t.Fatalf("retry failed again: %+v", resp.BatchItemFailures)
			}
			got := e.campaign(t, "camp-1")
			assertCounters(t, "campaign totals", got.Totals, want(evs))
			assertAdsAndMinutes(t, e, "camp-1", got, evs)
		})
	}
}

func recordsFrom(t *testing.T, recs []events.KinesisEventRecord,
	seq string) []events.KinesisEventRecord {
	t.Helper()
	for i, r := range recs {
		if r.Kinesis.SequenceNumber == seq {
			return recs[i:]
		}
	}
	t.Fatalf("failure names sequence %s, which is not in the batch", seq)
	return nil
}

func TestPoisonRecordsAreParkedAndNeverBlock(t *testing.T) {
	e := newEnv(t)
	s := newStream()
	good := traffic(10)

	badEvent := `{"event_id":"bad-1","type":"impression","campaign_id":"camp-1","ad_id":"ad-0",` +
		`"user_id":"u","occurred_at":1764496800000,"cost_micros":"abc","currency":"USD"}`
	okEvent, _ := json.Marshal(impression("ok-1", "camp-1", "ad-0", 5000, base))
	mixed := `{"v":1,"tenant_id":"` + tenant + `","received_at":1,"events":[` + badEvent + `,` +
		string(okEvent) + `]}`

	recs := []events.KinesisEventRecord{s.record([]byte("not json at all"))}
	recs = append(recs, s.record([]byte(mixed)))
	recs = append(recs, s.pack(t, good)...)

	resp := e.handle(t, recs)
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("poison blocked the batch: %+v", resp.BatchItemFailures)
	}

	wantEvs := append(good, impression("ok-1", "camp-1", "ad-0", 5000, base))
	assertCounters(t, "totals", e.campaign(t, "camp-1").Totals, want(wantEvs))

	parked := receiveAll(t, e)
	if len(parked) != 2 {
		t.Fatalf("got %d parked messages, want 2: %+v", len(parked), parked)
	}
	byKind := map[string]aggregate.Parked{}
	for _, p := range parked {
		byKind[p.Kind] = p
	}
	if p := byKind["poison-record"]; string(p.Data) != "not json at all" ||
		p.SequenceNumber != recs[0].Kinesis.SequenceNumber || p.Reason == "" {
		t.Errorf("poison record parked as %+v", p)
	}
	if p := byKind["poison-event"]; !strings.Contains(p.Reason, "cost_micros") ||
		p.EventIndex == nil || *p.EventIndex != 0 || p.TenantID != tenant {
		t.Errorf("poison event parked as %+v", p)
	}
}

func receiveAll(t *testing.T, e *env) []aggregate.Parked {
	t.Helper()
	var out []aggregate.Parked
	for {
		msgs, err := e.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(e.queueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 0,
		})
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		if len(msgs.Messages) == 0 {
			return out
		}
		for _, m := range msgs.Messages {
			var p aggregate.Parked
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &p); err != nil {
				t.Fatalf("parked message is not JSON: %v", err)
			}
			out = append(out, p)
			_, _ = e.sqs.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{
				QueueUrl: aws.String(e.queueURL), ReceiptHandle: m.ReceiptHandle})
		}
	}
}

// TestChangedResendsCountWhateverTheBatching: a resend that names another campaign, or
// moves occurred_at to another minute, is a new event; it is counted the same whether it
// arrives in the batch of the first delivery or in a later one.
func TestChangedResendsCountWhateverTheBatching(t *testing.T) {
	e := newEnv(t)
	ways := []struct {
		name    string
		deliver func(t *testing.T, s *stream, first, resent []event.Event)
	}{
		{"resends in the same batch", func(t *testing.T, s *stream, first,
			resent []event.Event) {
			e.handle(t, s.pack(t, append(append([]event.Event{}, first...), resent...)))
		}},
		{"resends in a later batch", func(t *testing.T, s *stream, first,
			resent []event.Event) {
			e.handle(t, s.pack(t, first))
			e.handle(t, s.pack(t, resent))
		}},
	}
	for i, w := range ways {
		t.Run(w.name, func(t *testing.T) {
			campA, campB := fmt.Sprintf("chg-%d-a", i), fmt.Sprintf("chg-%d-b", i)
			first := traffic(40)
			for j := range first {
				first[j].CampaignID = campA
				first[j].OccurredAt = base.Add(10 * time.Second)
			}
			// Copies of the first 10 for another campaign, of the next 10 two minutes
			// later, and plain copies of the next 10 (skipped).
			var resent, toB, moved []event.Event
			for j := range 30 {
				ev := first[j]
				switch {
				case j < 10:
					ev.CampaignID = campB
					toB = append(toB, ev)
				case j < 20:
					ev.OccurredAt = ev.OccurredAt.Add(2 * time.Minute)
					moved = append(moved, ev)
				}
				resent = append(resent, ev)
			}
			s := newStream()
			s.shard = fmt.Sprintf("shardId-%012d", 200+i)

			w.deliver(t, s, first, resent)

			wantA := want(first) // want skips repeated ids: the moved copies count apart
			wantA.Add(want(moved))
			assertCounters(t, campA, e.campaign(t, campA).Totals, wantA)
			assertCounters(t, campB, e.campaign(t, campB).Totals, want(toB))
		})
	}
}
