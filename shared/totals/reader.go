package totals

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// QueryAPI is the part of the DynamoDB client the reader uses.
type QueryAPI interface {
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (
		*dynamodb.QueryOutput, error)
}

// Reader reads campaign totals from the Aggregates table.
type Reader struct {
	DB    QueryAPI
	Table string
}

// Campaign is a campaign's running totals and those of each of its ads.
type Campaign struct {
	CampaignID string              `json:"campaign_id"`
	Totals     Counters            `json:"totals"`
	Ads        map[string]Counters `json:"ads,omitempty"`
}

// Bucket is one UTC time bucket (minute, hour or day) of a campaign.
type Bucket struct {
	Start time.Time `json:"start"`
	Counters
}

// Campaign returns the running totals of a campaign and of its ads, summed over shards.
// Totals are read with strong consistency, so a caller sees every write that finished.
func (r *Reader) Campaign(ctx context.Context, tenantID, campaignID string) (Campaign, error) {
	out := Campaign{CampaignID: campaignID, Ads: map[string]Counters{}}
	pk := PK(tenantID, campaignID)

	err := r.query(ctx, pk, totalPrefix, "", func(sk string, item itemMap) {
		out.Totals.addItem(item)
	})
	if err != nil {
		return Campaign{}, fmt.Errorf("read totals of campaign %s: %w", campaignID, err)
	}
	err = r.query(ctx, pk, adTotalPrefix, "", func(sk string, item itemMap) {
		ad := strings.TrimPrefix(trimShard(sk), adTotalPrefix)
		c := out.Ads[ad]
		c.addItem(item)
		out.Ads[ad] = c
	})
	if err != nil {
		return Campaign{}, fmt.Errorf("read ad totals of campaign %s: %w", campaignID, err)
	}
	return out, nil
}

// Buckets returns a campaign's buckets of grain g that start in [from, to), oldest
// first, summed over shards; buckets with no events are left out.
func (r *Reader) Buckets(ctx context.Context, tenantID, campaignID string, g Grain,
	from, to time.Time) ([]Bucket, error) {
	if !to.After(from) {
		return nil, nil
	}
	// Keys are "<prefix><start>#<shard>": from the first bucket's start to just past the
	// last bucket's ("~" sorts after "#").
	prefix := g.prefix(false)
	lo := prefix + g.Truncate(from).Format(g.layout())
	hi := prefix + g.Truncate(to.Add(-time.Nanosecond)).Format(g.layout()) + "~"
	byStart := map[string]*Counters{}

	err := r.query(ctx, PK(tenantID, campaignID), lo, hi, func(sk string, item itemMap) {
		start := strings.TrimPrefix(trimShard(sk), prefix)
		if byStart[start] == nil {
			byStart[start] = &Counters{}
		}
		byStart[start].addItem(item)
	})
	if err != nil {
		return nil, fmt.Errorf("read buckets of campaign %s: %w", campaignID, err)
	}

	out := make([]Bucket, 0, len(byStart))
	for start, c := range byStart {
		t, err := time.Parse(g.layout(), start)
		if err != nil {
			return nil, fmt.Errorf("read buckets of campaign %s: bad key %q", campaignID, start)
		}
		out = append(out, Bucket{Start: t, Counters: *c})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, nil
}

type itemMap = map[string]types.AttributeValue

// query visits the items of pk whose sort key begins with prefix, or, when hi is set,
// lies in [prefix, hi]; with neither, every item of the partition.
func (r *Reader) query(ctx context.Context, pk, prefix, hi string,
	visit func(sk string, item itemMap)) error {
	keyCond := expression.Key("pk").Equal(expression.Value(pk))
	switch {
	case prefix == "" && hi == "":
		// the whole partition
	case hi == "":
		keyCond = keyCond.And(expression.Key("sk").BeginsWith(prefix))
	default:
		keyCond = keyCond.And(expression.Key("sk").Between(expression.Value(prefix),
			expression.Value(hi)))
	}
	expr, err := expression.NewBuilder().WithKeyCondition(keyCond).Build()
	if err != nil {
		return fmt.Errorf("build query: %w", err)
	}

	p := dynamodb.NewQueryPaginator(r.DB, &dynamodb.QueryInput{
		TableName: aws.String(r.Table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, item := range page.Items {
			sk, _ := item["sk"].(*types.AttributeValueMemberS)
			if sk == nil || (hi != "" && sk.Value >= hi) {
				continue
			}
			visit(sk.Value, item)
		}
	}
	return nil
}

// TenantBucket returns every campaign's counters in the tenant's bucket of grain g that
// holds t (g must be one of TenantGrains), summed over shards.
func (r *Reader) TenantBucket(ctx context.Context, tenantID string, g Grain, t time.Time) (
	map[string]Counters, error) {
	out := map[string]Counters{}
	err := r.query(ctx, TenantPK(tenantID, g, t), "", "", func(sk string, item itemMap) {
		id := trimShard(sk)
		c := out[id]
		c.addItem(item)
		out[id] = c
	})
	if err != nil {
		return nil, fmt.Errorf("read %s bucket of tenant %s: %w", g, tenantID, err)
	}
	return out, nil
}
