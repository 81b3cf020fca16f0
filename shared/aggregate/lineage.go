package aggregate

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// ShardLister is the part of the Kinesis client that finds a shard's parents.
type ShardLister interface {
	ListShards(context.Context, *kinesis.ListShardsInput, ...func(*kinesis.Options)) (
		*kinesis.ListShardsOutput, error)
}

// ancestors returns the shards whose logs still matter to shard: after a split or a merge
// an event's copies reach a child shard, while its first copy may sit in a parent's log.
//
// A shard's lineage is written to the log table the first time the shard is seen, as
// "<ancestor>@<unix time>" words: each ancestor with the time until which its log can
// hold anything (it closed before the child was first seen, and its entries live
// DedupWindow). Lambda finishes a parent before it starts the children, so a child is seen
// while its parents are still listed by ListShards, whatever the stream's retention.
func (h *Handler) ancestors(ctx context.Context, stream, shard string) ([]string, error) {
	h.dedup.mu.Lock()
	known, ok := h.dedup.lineage[shard]
	h.dedup.mu.Unlock()
	if ok {
		return known, nil
	}

	lin, err := h.lineage(ctx, stream, shard, 0)
	if err != nil {
		return nil, err
	}
	now := h.Now().Unix()
	var out []string
	for _, a := range lin {
		if a.until >= now {
			out = append(out, a.shard)
		}
	}

	h.dedup.mu.Lock()
	if h.dedup.lineage == nil {
		h.dedup.lineage = map[string][]string{}
	}
	h.dedup.lineage[shard] = out
	h.dedup.mu.Unlock()
	return out, nil
}

type ancestor struct {
	shard string
	until int64
}

// maxLineageDepth bounds the walk up the shard tree; ancestors beyond the de-duplication
// window fall out on their own, so a deep tree means a bug, not a busy stream.
const maxLineageDepth = 64

// lineage reads shard's stored lineage, or works it out from ListShards and stores it.
func (h *Handler) lineage(ctx context.Context, stream, shard string, depth int) (
	[]ancestor, error) {
	if depth > maxLineageDepth {
		return nil, fmt.Errorf("shard %s: lineage deeper than %d", shard, maxLineageDepth)
	}
	key := map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "lineage#" + shard},
		"sk": &types.AttributeValueMemberS{Value: "-"},
	}
	out, err := h.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(h.ClaimsTable), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("read lineage of %s: %w", shard, err)
	}
	if v, ok := out.Item["ancestors"].(*types.AttributeValueMemberS); ok {
		return parseLineage(v.Value)
	}
	if h.Shards == nil || stream == "" {
		return nil, nil // no stream to ask: tests that feed records by hand
	}

	parents, listed, err := h.parents(ctx, stream, shard)
	if err != nil || !listed {
		return nil, err // an unlisted shard's lineage is not stored: ask again next time
	}
	now := h.Now()
	until := now.Add(h.DedupWindow).Unix()
	var lin []ancestor
	for _, p := range parents {
		lin = append(lin, ancestor{shard: p, until: until})
		up, err := h.lineage(ctx, stream, p, depth+1)
		if err != nil {
			return nil, err
		}
		for _, a := range up {
			if a.until >= now.Unix() {
				lin = append(lin, a)
			}
		}
	}

	words := make([]string, len(lin))
	for i, a := range lin {
		words[i] = a.shard + "@" + strconv.FormatInt(a.until, 10)
	}
	key["ancestors"] = &types.AttributeValueMemberS{Value: strings.Join(words, " ")}
	key["expires_at"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(until, 10)}
	if _, err := h.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(h.ClaimsTable), Item: key}); err != nil {
		return nil, fmt.Errorf("store lineage of %s: %w", shard, err)
	}
	return lin, nil
}

// parents asks Kinesis for the parent and adjacent parent of shard.
// listed is false when the stream does not list the shard at all.
func (h *Handler) parents(ctx context.Context, stream, shard string) (
	ps []string, listed bool, err error) {
	in := &kinesis.ListShardsInput{StreamARN: aws.String(stream)}
	for {
		out, err := h.Shards.ListShards(ctx, in)
		if err != nil {
			return nil, false, fmt.Errorf("list shards of %s: %w", stream, err)
		}
		for _, s := range out.Shards {
			if aws.ToString(s.ShardId) != shard {
				continue
			}
			for _, p := range []*string{s.ParentShardId, s.AdjacentParentShardId} {
				if aws.ToString(p) != "" {
					ps = append(ps, aws.ToString(p))
				}
			}
			return ps, true, nil
		}
		if aws.ToString(out.NextToken) == "" {
			return nil, false, nil
		}
		in = &kinesis.ListShardsInput{NextToken: out.NextToken}
	}
}

// parseLineage reads the words written by lineage.
func parseLineage(s string) ([]ancestor, error) {
	var out []ancestor
	for _, w := range strings.Fields(s) {
		shard, until, ok := strings.Cut(w, "@")
		n, err := strconv.ParseInt(until, 10, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("malformed lineage word %q", w)
		}
		out = append(out, ancestor{shard: shard, until: n})
	}
	return out, nil
}
