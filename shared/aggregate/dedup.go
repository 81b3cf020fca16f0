package aggregate

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
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
// there and the record each came from. Before counting, the batch reads the log of each of
// its minutes: from the cache of the execution environment, plus whatever was written
// since (a query for sort keys above the last one read; the sort key starts with the
// writing batch's sequence number, and sequence numbers only grow within a shard).
//
// A resend that changes occurred_at to another minute is therefore a new event: copies are
// recognised by (tenant, event_id) within the minute they say they happened.

// entryBytes is the size of one log entry: a 16-byte fingerprint, the record's position
// in the item's list of sequence numbers (uint16) and the event's index in its record
// (uint32).
const entryBytes = 16 + 2 + 4

// maxChunk bounds the entries in one log item, keeping it far below DynamoDB's 400 KB.
const maxChunk = 8000

// idleEviction is how long a cached log partition lives without being used.
const idleEviction = 15 * time.Minute

// fingerprint identifies an event: the first 16 bytes of SHA-256 of tenant, "#", event id.
type fingerprint [16]byte

func fingerprintOf(tenant, eventID string) fingerprint {
	var buf [320]byte
	b := append(append(append(buf[:0], tenant...), '#'), eventID...)
	sum := sha256.Sum256(b)
	var fp fingerprint
	copy(fp[:], sum[:16])
	return fp
}

// logOwner is the record that counted an event: its shard, sequence number and index.
type logOwner struct {
	shard, seq string
	index      uint32
}

// logOwner is the record position that carries the item's event.
func (it *item) logOwner() logOwner {
	return logOwner{shard: it.shard, seq: it.seq, index: uint32(it.index)}
}

// logPart is the cached log of one shard and minute, with its ancestors' entries merged in.
type logPart struct {
	mu     sync.Mutex
	loaded bool
	last   string // highest sort key read or written in the shard's own partition
	used   time.Time
	owners map[fingerprint]logOwner
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
	first := make(map[fingerprint]bool, len(items))
	byPK := map[string]*wanted{}
	var order []*wanted
	for i := range items {
		fps[i] = fingerprintOf(items[i].tenant, items[i].ev.EventID)
		if first[fps[i]] {
			duplicates++
			continue
		}
		first[fps[i]] = true
		pk := logKey(items[i].shard, items[i].ev.OccurredAt)
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
			prev, ok := w.part.owners[fps[i]]
			switch {
			case !ok:
				w.fresh = append(w.fresh, i)
			case prev == items[i].logOwner():
				claimed[i] = true
			default:
				duplicates++
			}
		}
		for lo := 0; lo < len(w.fresh); lo += maxChunk {
			chunks = append(chunks, logChunk{w: w, idx: w.fresh[lo:min(lo+maxChunk,
				len(w.fresh))]})
		}
	}

	// Write the new entries, one item per partition (or per maxChunk entries).
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

// refresh reads what the cache lacks of w's partition: all of it, with the partitions of
// the shard's ancestors for the same minute, the first time; afterwards only the items
// written since the last one read.
func (h *Handler) refresh(ctx context.Context, stream string, w *wanted, now time.Time) error {
	p := h.dedup.part(w.pk, now)
	p.mu.Lock()
	defer p.mu.Unlock()
	w.part = p

	if !p.loaded {
		p.owners, p.last = map[fingerprint]logOwner{}, ""
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
// with the shard and is never written twice; the condition makes sure of the latter.
func (h *Handler) writeChunk(ctx context.Context, items []item, fps []fingerprint,
	c logChunk, now time.Time) error {
	firstItem := &items[c.idx[0]]
	sk := padSeq(firstItem.seq) + "/" + strconv.Itoa(firstItem.index)

	var seqs []string
	ords := map[string]uint16{}
	ents := make([]byte, 0, len(c.idx)*entryBytes)
	for _, i := range c.idx {
		it := &items[i]
		ord, ok := ords[it.seq]
		if !ok {
			ord = uint16(len(seqs))
			ords[it.seq] = ord
			seqs = append(seqs, it.seq)
		}
		ents = append(ents, fps[i][:]...)
		ents = binary.BigEndian.AppendUint16(ents, ord)
		ents = binary.BigEndian.AppendUint32(ents, uint32(it.index))
	}

	_, err := h.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(h.ClaimsTable),
		Item: map[string]types.AttributeValue{
			"pk":   &types.AttributeValueMemberS{Value: c.w.pk},
			"sk":   &types.AttributeValueMemberS{Value: sk},
			"seqs": &types.AttributeValueMemberS{Value: strings.Join(seqs, " ")},
			"ents": &types.AttributeValueMemberB{Value: ents},
			"expires_at": &types.AttributeValueMemberN{
				Value: strconv.FormatInt(now.Add(h.DedupWindow).Unix(), 10)},
		},
		ConditionExpression:      aws.String("attribute_not_exists(#sk)"),
		ExpressionAttributeNames: map[string]string{"#sk": "sk"},
	})
	if err != nil {
		return fmt.Errorf("put log %s %s: %w", c.w.pk, sk, err)
	}

	p := c.w.part
	p.mu.Lock()
	for _, i := range c.idx {
		p.owners[fps[i]] = items[i].logOwner()
	}
	if sk > p.last {
		p.last = sk
	}
	p.mu.Unlock()
	return nil
}

// decodeLogItem adds one log item's entries to owners and returns its sort key.
func decodeLogItem(it map[string]types.AttributeValue, owners map[fingerprint]logOwner) (
	string, error) {
	pk, _ := it["pk"].(*types.AttributeValueMemberS)
	sk, _ := it["sk"].(*types.AttributeValueMemberS)
	seqs, _ := it["seqs"].(*types.AttributeValueMemberS)
	ents, _ := it["ents"].(*types.AttributeValueMemberB)
	if pk == nil || sk == nil || seqs == nil || ents == nil || len(ents.Value)%entryBytes != 0 {
		return "", errors.New("malformed log item")
	}
	shard := strings.TrimPrefix(pk.Value, "log#")
	shard = shard[:max(0, strings.LastIndexByte(shard, '#'))]
	list := strings.Split(seqs.Value, " ")
	for b := ents.Value; len(b) > 0; b = b[entryBytes:] {
		var fp fingerprint
		copy(fp[:], b[:16])
		ord := int(binary.BigEndian.Uint16(b[16:18]))
		if ord >= len(list) {
			return "", fmt.Errorf("log item %s: record %d of %d", sk.Value, ord, len(list))
		}
		owners[fp] = logOwner{shard: shard, seq: list[ord],
			index: binary.BigEndian.Uint32(b[18:22])}
	}
	return sk.Value, nil
}
