package scenario

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/adpulse/adpulse/shared/totals"
)

// ListCampaigns returns the totals of every campaign of a tenant in the table. It scans
// the whole table, which is fine on the local stack and never done in AWS, where the
// campaign list comes from the campaigns table instead.
func ListCampaigns(ctx context.Context, db *dynamodb.Client, table, tenant string) (
	[]CampaignTotal, error) {
	filter := expression.Name("pk").BeginsWith(tenant + "#").
		And(expression.Name("sk").BeginsWith("tot#"))
	expr, err := expression.NewBuilder().WithFilter(filter).
		WithProjection(expression.NamesList(expression.Name("pk"))).Build()
	if err != nil {
		return nil, fmt.Errorf("build scan: %w", err)
	}

	ids := map[string]bool{}
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{
		TableName: aws.String(table), FilterExpression: expr.Filter(),
		ProjectionExpression:      expr.Projection(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("scan %s: %w", table, err)
		}
		for _, item := range page.Items {
			if pk, ok := item["pk"].(*types.AttributeValueMemberS); ok {
				ids[strings.TrimPrefix(pk.Value, tenant+"#")] = true
			}
		}
	}

	reader := &totals.Reader{DB: db, Table: table}
	out := make([]CampaignTotal, 0, len(ids))
	for id := range ids {
		c, err := reader.Campaign(ctx, tenant, id)
		if err != nil {
			return nil, err
		}
		out = append(out, CampaignTotal{CampaignID: id, Counters: c.Totals})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CampaignID < out[j].CampaignID })
	return out, nil
}
