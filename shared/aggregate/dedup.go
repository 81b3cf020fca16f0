package aggregate

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/adpulse/adpulse/shared/parallel"
)

// The de-duplication log remembers which events were counted without a write per event.
//
// Every copy of an event reaches the same shard, because the partition key's salt comes
// from the event id, and one shard's batches are handled one at a time, in order. So each
// shard keeps its own log, split by the minute of the events' occurred_at: for every
// minute a batch touches, one item lists the fingerprints of the events the batch counted
// there and the record each came from (the item formats are in logformat.go). Before
// counting, the batch reads the log of each of its minutes: from the cache of the
// execution environment, plus whatever was written since (a query for sort keys above the
// last one read; the sort key starts with the writing batch's sequence number, and
// sequence numbers only grow within a shard).
//
// An event is known by its tenant, campaign_id and event_id (the fingerprint) within the
// minute of its occurred_at (the log partition). A resend that changes the campaign or
// moves occurred_at to another minute is a new event and is counted, always: the copies
// of one batch are told apart the same way as copies in different batches, so the answer
// does not depend on how deliveries happen to be batched. (A changed campaign may route
// a copy to another shard, whose log could not see the first; the fingerprint makes that
// case count too, on every shard alike.)

// idleEviction is how long a cached log partition lives without being used.
const idleEviction = 15 * time.Minute

// fingerprint is the first 16 bytes of SHA-256 of tenant, campaign id and event id, each
// ended by a NUL (none of them can hold one). The log compares its first 96 bits (fpKey);
// format-1 items store all 16 bytes (logformat.go).
//
// Log entries written before session 8 hashed tenant "#" event id, without the campaign;
// their events are not matched by today's fingerprints. No stack ran that code in
// production; a deployed one would count such copies again for up to the de-duplication
// window after the change.
type fingerprint [16]byte

func fingerprintOf(tenant, campaign, eventID string) fingerprint {
	var buf [400]byte
	b := append(append(buf[:0], tenant...), 0)
	b = append(append(b, campaign...), 0)
	b = append(append(b, eventID...), 0)
	sum := sha256.Sum256(b)
	var fp fingerprint
	copy(fp[:], sum[:16])
	return fp
}

// logOwner is the record that counted an event: its shard and sequence number. The
// event's index in the record is not needed (logformat.go says why).
type logOwner struct {
	shard, seq string
}

// logOwner is the record that carries the item's event.
func (it *item) logOwner() logOwner {
	return logOwner{shard: it.shard, seq: it.seq}
}

// logPart is the cached log of one shard and minute, with its ancestors' entries merged in.
type logPart struct {
	mu     sync.Mutex
	loaded bool
	last   string // highest sort key read or written in the shard's own partition
	used   time.Time
	owners map[fpKey]logOwner
}

// dedupCache holds the log partitions and shard lineages of one execution environment.
type dedupCache struct {
	mu      sync.Mutex
	parts   map[string]*logPart
	lineage map[string][]string
}

func (c *dedupCache) part(pk string, now time.Time) *logPart {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.parts == nil {
		c.parts = map[string]*logPart{}
	}
	p := c.parts[pk]
	if p == nil {
		p = &logPart{}
		c.parts[pk] = p
	}
	p.used = now
	return p
}

// drop forgets a partition, so that its next use reads it whole again.
func (c *dedupCache) drop(pk string) {
	c.mu.Lock()
	delete(c.parts, pk)
	c.mu.Unlock()
}

// evict forgets the partitions not used since idleEviction before now.
func (c *dedupCache) evict(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for pk, p := range c.parts {
		if now.Sub(p.used) > idleEviction {
			delete(c.parts, pk)
		}
	}
}

// logKey is the partition key of a shard's log for the minute of t.
func logKey(shard string, t time.Time) string {
	return "log#" + shard + "#" + strconv.FormatInt(t.Unix()/60, 10)
}

// wanted is one log partition the batch needs and the batch's first copies in it.
type wanted struct {
	pk, shard string
	minute    time.Time
	idx       []int // items, in sequence order
	part      *logPart
	fresh     []int // items never counted before
}

// dedupAll decides for every item whether it is counted: it is when no other record
// counted its event before. A redelivered record finds its own entries and counts them
// again, which the rollup rows' watermarks then absorb. It returns which items are
// counted, how many were duplicates, how many log writes it made, and the sequence numbers
// that must be delivered again.
func (h *Handler) dedupAll(ctx context.Context, stream string, items []item) (
	claimed []bool, duplicates, writes int, failed []string) {
	claimed = make([]bool, len(items))
	now := h.Now()
	fps := make([]fingerprint, len(items))
	type copyKey struct {
		fp fpKey
		pk string
	}
	first := make(map[copyKey]bool, len(items))
	byPK := map[string]*wanted{}
	var order []*wanted
	for i := range items {
		fps[i] = fingerprintOf(items[i].tenant, items[i].ev.CampaignID, items[i].ev.EventID)
		pk := logKey(items[i].shard, items[i].ev.OccurredAt)
		// Within the batch as across batches: a copy is the same fingerprint in the same
		// log partition (shard and minute).
		k := copyKey{fps[i].key(), pk}
		if first[k] {
			duplicates++
			continue
		}
		first[k] = true
		w := byPK[pk]
		if w == nil {
			w = &wanted{pk: pk, shard: items[i].shard,
				minute: items[i].ev.OccurredAt.Truncate(time.Minute)}
			byPK[pk] = w
			order = append(order, w)
		}
		w.idx = append(w.idx, i)
	}

	// Bring every partition the batch needs up to date.
	errs := make([]error, len(order))
	parallel.ForEach(h.Workers, len(order), func(j int) {
		errs[j] = h.refresh(ctx, stream, order[j], now)
	})

	// Sort the first copies into counted before, by this very record, and never.
	var chunks []logChunk
	for j, w := range order {
		if errs[j] != nil {
			h.Log.WarnContext(ctx, "read de-duplication log failed", "err", errs[j])
			h.dedup.drop(w.pk)
			failed = append(failed, items[w.idx[0]].seq)
			continue
		}
		for _, i := range w.idx {
			prev, ok := w.part.owners[fps[i].key()]
			switch {
			case !ok:
				w.fresh = append(w.fresh, i)
			case prev == items[i].logOwner():
				claimed[i] = true
			default:
				duplicates++
			}
		}
		chunks = appendChunks(chunks, w, items)
	}

	// Write the new entries, one item per partition (or per maxItemBytes of entries).
	werrs := make([]error, len(chunks))
	parallel.ForEach(h.Workers, len(chunks), func(k int) {
		werrs[k] = h.writeChunk(ctx, items, fps, chunks[k], now)
	})
	for k, c := range chunks {
		if err := werrs[k]; err != nil {
			h.Log.WarnContext(ctx, "write de-duplication log failed", "err", err)
			h.dedup.drop(c.w.pk) // another environment may write below our last key
			failed = append(failed, items[c.idx[0]].seq)
			continue
		}
		for _, i := range c.idx {
			claimed[i] = true
		}
	}

	h.dedup.evict(now)
	return claimed, duplicates, len(chunks), failed
}

// logChunk is the new entries of one partition that go into one log item.
type logChunk struct {
	w   *wanted
	idx []int
}

// appendChunks cuts w's new entries into log items of at most maxItemBytes.
func appendChunks(chunks []logChunk, w *wanted, items []item) []logChunk {
	lo, size := 0, 0
	for k, i := range w.fresh {
		seq := items[i].seq
		c := entryCost(len(seq), k == lo || items[w.fresh[k-1]].seq != seq)
		if k > lo && size+c > maxItemBytes {
			chunks = append(chunks, logChunk{w: w, idx: w.fresh[lo:k]})
			lo, c = k, entryCost(len(seq), true)
			size = 0
		}
		size += c
	}
	if lo < len(w.fresh) {
		chunks = append(chunks, logChunk{w: w, idx: w.fresh[lo:]})
	}
	return chunks
}

// refresh reads what the cache lacks of w's partition: all of it, with the partitions of
// the shard's ancestors for the same minute, the first time; afterwards only the items
// written since the last one read.
func (h *Handler) refresh(ctx context.Context, stream string, w *wanted, now time.Time) error {
	p := h.dedup.part(w.pk, now)
	p.mu.Lock()
	defer p.mu.Unlock()
	w.part = p

	if !p.loaded {
		p.owners, p.last = map[fpKey]logOwner{}, ""
		ancestors, err := h.ancestors(ctx, stream, w.shard)
		if err != nil {
			return err
		}
		for _, a := range ancestors {
			if _, err := h.readLog(ctx, p, logKey(a, w.minute), ""); err != nil {
				return err
			}
		}
	}

	last, err := h.readLog(ctx, p, w.pk, p.last)
	if err != nil {
		p.loaded = false
		return err
	}
	p.last, p.loaded = last, true
	return nil
}

// readLog adds the entries of the log items of pk whose sort key is above after ("" for
// all) to p, and returns the highest sort key seen (after when there was none).
func (h *Handler) readLog(ctx context.Context, p *logPart, pk, after string) (string, error) {
	cond := "pk = :pk"
	vals := map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}}
	if after != "" {
		cond += " AND sk > :after"
		vals[":after"] = &types.AttributeValueMemberS{Value: after}
	}
	last := after
	var start map[string]types.AttributeValue
	for {
		out, err := h.DB.Query(ctx, &dynamodb.QueryInput{
			TableName: aws.String(h.ClaimsTable), ConsistentRead: aws.Bool(true),
			KeyConditionExpression: aws.String(cond), ExpressionAttributeValues: vals,
			ExclusiveStartKey: start,
		})
		if err != nil {
			return "", fmt.Errorf("query log %s: %w", pk, err)
		}
		for _, it := range out.Items {
			sk, err := decodeLogItem(it, p.owners)
			if err != nil {
				return "", fmt.Errorf("log %s: %w", pk, err)
			}
			if sk > last {
				last = sk
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return last, nil
		}
		start = out.LastEvaluatedKey
	}
}

// writeChunk puts one log item holding the chunk's entries and adds them to the cache.
// The sort key is the sequence number and index of the chunk's first event, so it grows
// with the shard and is never written twice; the condition makes sure of the latter. The
// item is in h.LogFormat, or in format 1 when a sequence number would not survive
// format 2 (Kinesis's and the emulator's zero-padded ones do).
func (h *Handler) writeChunk(ctx context.Context, items []item, fps []fingerprint,
	c logChunk, now time.Time) error {
	firstItem := &items[c.idx[0]]
	sk := padSeq(firstItem.seq) + "/" + strconv.Itoa(firstItem.index)

	item := map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: c.w.pk},
		"sk": &types.AttributeValueMemberS{Value: sk},
		"expires_at": &types.AttributeValueMemberN{
			Value: strconv.FormatInt(now.Add(h.DedupWindow).Unix(), 10)},
	}
	format := h.LogFormat
	if format == LogFormat2 {
		recs, width, err := appendFormat2(make([]byte, 0, len(c.idx)*(fpBytes+1)+64),
			firstItem.seq, items, fps, c.idx)
		if err == nil {
			item["recs"] = &types.AttributeValueMemberB{Value: recs}
			if width > 0 {
				item["w"] = &types.AttributeValueMemberN{Value: strconv.Itoa(width)}
			}
		} else {
			format = LogFormat1
		}
	}
	if format == LogFormat1 {
		seqs, ents := appendFormat1(items, fps, c.idx)
		item["seqs"] = &types.AttributeValueMemberS{Value: seqs}
		item["ents"] = &types.AttributeValueMemberB{Value: ents}
	}

	_, err := h.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(h.ClaimsTable),
		Item:                     item,
		ConditionExpression:      aws.String("attribute_not_exists(#sk)"),
		ExpressionAttributeNames: map[string]string{"#sk": "sk"},
	})
	if err != nil {
		return fmt.Errorf("put log %s %s: %w", c.w.pk, sk, err)
	}

	p := c.w.part
	p.mu.Lock()
	for _, i := range c.idx {
		p.owners[fps[i].key()] = items[i].logOwner()
	}
	if sk > p.last {
		p.last = sk
	}
	p.mu.Unlock()
	return nil
}
