package aggregate_test

import (
	"context"
	"maps"
	"math/big"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kinesistypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/adpulse/adpulse/shared/aggregate"
	"github.com/adpulse/adpulse/shared/event"
	"github.com/adpulse/adpulse/shared/totals"
)

const streamARN = "arn:aws:kinesis:us-east-1:000000000000:stream/Events"

// shardTree lists shards the way Kinesis does after resharding: child → parents.
type shardTree map[string][]string

func (s shardTree) ListShards(_ context.Context, _ *kinesis.ListShardsInput,
	_ ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error) {
	out := &kinesis.ListShardsOutput{}
	for id, parents := range s {
		sh := kinesistypes.Shard{ShardId: aws.String(id)}
		if len(parents) > 0 {
			sh.ParentShardId = aws.String(parents[0])
		}
		if len(parents) > 1 {
			sh.AdjacentParentShardId = aws.String(parents[1])
		}
		out.Shards = append(out.Shards, sh)
	}
	return out, nil
}

// child is a stream of a shard opened by resharding: later sequence numbers.
func child(id string) *stream {
	s := newStream()
	s.shard, s.arn = id, streamARN
	s.next.Add(s.next, new(big.Int).Lsh(big.NewInt(1), 40))
	return s
}

func TestCopiesAreFoundAcrossEnvironmentsAndReshards(t *testing.T) {
	split := shardTree{"shardId-000000000000": nil,
		"shardId-000000000001": {"shardId-000000000000"},
		"shardId-000000000002": {"shardId-000000000000"}}
	merged := shardTree{"shardId-000000000000": nil, "shardId-000000000001": nil,
		"shardId-000000000002": {"shardId-000000000001", "shardId-000000000000"}}

	cases := []struct {
		name    string
		deliver func(t *testing.T, e *env, evs []event.Event)
	}{
		{"copies reach an environment that never saw the log", func(t *testing.T, e *env,
			evs []event.Event) {
			e.handle(t, newStream().pack(t, evs))
			e.handler = e.newHandler()
			e.handle(t, newStream().pack(t, evs[:30]))
			s := newStream()
			s.next.Add(s.next, big.NewInt(1<<40))
			e.handle(t, s.pack(t, evs))
		}},
		{"an environment catches up with what another wrote since", func(t *testing.T,
			e *env, evs []event.Event) {
			first := e.handler
			s := newStream()
			e.handle(t, s.pack(t, evs[:40]))
			e.handler = e.newHandler()
			e.handle(t, s.pack(t, evs[40:]))
			e.handler = first // its cache of these minutes lacks the second half
			e.handle(t, s.pack(t, evs))
		}},
		{"copies reach the children of a split shard", func(t *testing.T, e *env,
			evs []event.Event) {
			e.handle(t, newStream().pack(t, evs))
			e.handler.Shards = split
			e.handle(t, child("shardId-000000000001").pack(t, evs[:50]))
			e.handle(t, child("shardId-000000000002").pack(t, evs[25:]))
		}},
		{"copies reach the child of a merge", func(t *testing.T, e *env, evs []event.Event) {
			half := len(evs) / 2
			s0, s1 := newStream(), newStream()
			s1.shard = "shardId-000000000001"
			e.handle(t, s0.pack(t, evs[:half]))
			e.handle(t, s1.pack(t, evs[half:]))
			e.handler.Shards = merged
			e.handle(t, child("shardId-000000000002").pack(t, evs))
		}},
		{"a stored lineage serves when Kinesis no longer lists the parent", func(t *testing.T,
			e *env, evs []event.Event) {
			e.handle(t, newStream().pack(t, evs[:50]))
			e.handler.Shards = split
			c := child("shardId-000000000001")
			e.handle(t, c.pack(t, evs[50:])) // the child's first batch stores its lineage
			e.handler = e.newHandler()
			e.handler.Shards = shardTree{"shardId-000000000001": nil} // parent past retention
			e.handle(t, c.pack(t, evs))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			evs := traffic(60)
			tc.deliver(t, e, evs)

			got := e.campaign(t, "camp-1")
			assertCounters(t, "campaign totals", got.Totals, want(evs))
			assertAdsAndMinutes(t, e, "camp-1", got, evs)
		})
	}
}

// countingDB counts PutItem calls per table.
type countingDB struct {
	aggregate.DynamoAPI
	mu   sync.Mutex
	puts map[string]int
}

func (c *countingDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput,
	opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.mu.Lock()
	c.puts[aws.ToString(in.TableName)]++
	c.mu.Unlock()
	return c.DynamoAPI.PutItem(ctx, in, opts...)
}

func TestOneLogWritePerMinuteOfABatch(t *testing.T) {
	e := newEnv(t)
	db := &countingDB{DynamoAPI: e.db, puts: map[string]int{}}
	e.handler.DB = db
	evs := traffic(300) // 360 events over three minutes

	s := newStream()
	recs := s.pack(t, evs)
	e.handle(t, recs)
	if got := db.puts["EventClaims"]; got != 3 {
		t.Errorf("first delivery: %d log writes for %d events, want 3", got, len(evs))
	}

	e.handle(t, recs)                // redelivered: every entry is already there
	e.handle(t, s.pack(t, evs[:90])) // sent again as new records: all copies
	if got := db.puts["EventClaims"]; got != 3 {
		t.Errorf("after a redelivery and copies: %d log writes, want still 3", got)
	}
	assertCounters(t, "campaign totals", e.campaign(t, "camp-1").Totals, want(evs))
}

// A deploy overlaps consumers that write the de-duplication log's format 1 (the code
// before session 8, or LogFormat1 during a two-step rollout) with consumers that write
// format 2, on the same shards and minutes. Every case must count each event once.
func TestLogFormatsDeduplicateTogether(t *testing.T) {
	old := func(e *env) *aggregate.Handler {
		h := e.newHandler()
		h.LogFormat = aggregate.LogFormat1
		return h
	}
	cases := []struct {
		name    string
		formats []string // the formats the log must end up holding
		deliver func(t *testing.T, e *env, evs []event.Event)
	}{
		{"format 1 logged, copies reach a new consumer", []string{"1"}, func(t *testing.T,
			e *env, evs []event.Event) {
			e.handler = old(e)
			e.handle(t, newStream().pack(t, evs))
			e.handler = e.newHandler()
			e.handle(t, child("shardId-000000000000").pack(t, evs))
		}},
		{"format 1 logged, a rollup failed, a new consumer finishes the batch",
			[]string{"1"}, func(t *testing.T, e *env, evs []event.Event) {
				resumeElsewhere(t, e, old(e), evs)
			}},
		{"format 2 logged, a rollup failed, a cold environment finishes the batch",
			[]string{"2"}, func(t *testing.T, e *env, evs []event.Event) {
				resumeElsewhere(t, e, e.newHandler(), evs)
			}},
		{"both formats in one minute, an environment catches up across them",
			[]string{"1", "2"}, func(t *testing.T, e *env, evs []event.Event) {
				first := e.handler // format 2
				s := newStream()
				e.handle(t, s.pack(t, evs[:30]))
				e.handler = old(e)
				e.handle(t, s.pack(t, evs[30:]))
				e.handler = first // its cache lacks the format-1 items
				e.handle(t, s.pack(t, evs))
				e.handler = e.newHandler() // a cold one reads both whole
				e.handle(t, s.pack(t, evs[10:50]))
			}},
		{"format 2 logged, then format 1, the batch delivered again to each",
			[]string{"1", "2"}, func(t *testing.T, e *env, evs []event.Event) {
				s := newStream()
				a, b := s.pack(t, evs[:40]), s.pack(t, evs[20:])
				e.handle(t, a)
				e.handler = old(e)
				e.handle(t, b)
				e.handle(t, a)
				e.handler = e.newHandler()
				e.handle(t, b)
				e.handle(t, append(a, b...))
			}},
		{"a parent shard logged in format 1, its children in format 2", []string{"1", "2"},
			func(t *testing.T, e *env, evs []event.Event) {
				e.handler = old(e)
				e.handle(t, newStream().pack(t, evs[:45]))
				e.handler = e.newHandler()
				e.handler.Shards = shardTree{"shardId-000000000000": nil,
					"shardId-000000000001": {"shardId-000000000000"},
					"shardId-000000000002": {"shardId-000000000000"}}
				// Copies of one event reach one child: those of the parent's events either.
				e.handle(t, child("shardId-000000000001").pack(t, evs[:50]))
				e.handle(t, child("shardId-000000000002").pack(t,
					append(slices.Clone(evs[25:45]), evs[50:]...)))
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			evs := traffic(60)
			tc.deliver(t, e, evs)

			got := e.campaign(t, "camp-1")
			assertCounters(t, "campaign totals", got.Totals, want(evs))
			assertAdsAndMinutes(t, e, "camp-1", got, evs)
			if formats := logFormats(t, e); !slices.Equal(formats, tc.formats) {
				t.Errorf("the log holds formats %v, want %v", formats, tc.formats)
			}
		})
	}
}

// resumeElsewhere has h log the batch and fail a rollup write, then a new consumer with a
// cold cache take the batch from the failed record on: those records find their own
// entries, read from the table, and count them. Copies sent afterwards are skipped.
func resumeElsewhere(t *testing.T, e *env, h *aggregate.Handler, evs []event.Event) {
	t.Helper()
	h.DB = &flakyDB{DynamoAPI: e.db, failSK: map[string]bool{
		totals.MinuteSK(base.Add(2*time.Minute), "shardId-000000000000"): true}}
	e.handler = h
	recs := newStream().pack(t, evs)
	resp := e.handle(t, recs)
	if len(resp.BatchItemFailures) != 1 {
		t.Fatalf("got %d batch item failures, want 1", len(resp.BatchItemFailures))
	}
	e.handler = e.newHandler()
	e.handle(t, recordsFrom(t, recs, resp.BatchItemFailures[0].ItemIdentifier))
	e.handle(t, child("shardId-000000000000").pack(t, evs[:40]))
}

// logFormats returns the formats of the log items in the claims table, sorted.
func logFormats(t *testing.T, e *env) []string {
	t.Helper()
	out, err := e.db.Scan(context.Background(), &dynamodb.ScanInput{
		TableName: aws.String("EventClaims")})
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	seen := map[string]bool{}
	for _, it := range out.Items {
		pk := it["pk"].(*types.AttributeValueMemberS).Value
		switch {
		case !strings.HasPrefix(pk, "log#"):
		case it["recs"] != nil && it["ents"] == nil:
			seen["2"] = true
		case it["ents"] != nil && it["seqs"] != nil && it["recs"] == nil:
			seen["1"] = true
		default:
			t.Errorf("log item %v is of no format", it)
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

func TestParseLogFormat(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want aggregate.LogFormat
		err  bool
	}{{"", aggregate.LogFormat2, false}, {"2", aggregate.LogFormat2, false},
		{"1", aggregate.LogFormat1, false}, {"3", 0, true}, {"v2", 0, true}} {
		got, err := aggregate.ParseLogFormat(tc.in)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("ParseLogFormat(%q) = %v, %v; want %v, error %v", tc.in, got, err,
				tc.want, tc.err)
		}
	}
}
