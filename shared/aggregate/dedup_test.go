package aggregate_test

import (
	"context"
	"math/big"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kinesistypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/adpulse/adpulse/shared/aggregate"
	"github.com/adpulse/adpulse/shared/event"
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
