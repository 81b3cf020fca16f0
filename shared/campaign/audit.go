package campaign

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Entry is one audit record: who wrote which version of a campaign, when, and what
// changed.
type Entry struct {
	CampaignID string    `json:"campaign_id"`
	Version    int64     `json:"version"`
	Action     string    `json:"action"` // create, update, patch, targeting, status, archive
	Actor      string    `json:"actor"`  // user id
	At         time.Time `json:"at"`
	Changes    []Change  `json:"changes"`
}

// auditSK keys entries by campaign and zero-padded version, so a query in reverse key
// order reads them newest first.
func auditSK(id string, version int64) string {
	return fmt.Sprintf("%s%012d", auditPrefix(id), version)
}

func auditPrefix(id string) string {
	return "aud#" + id + "#"
}

func (s *Store) auditPut(c Campaign, action string,
	changes []Change) (types.TransactWriteItem, error) {
	e := Entry{CampaignID: c.ID, Version: c.Version, Action: action, Actor: c.UpdatedBy,
		At: c.UpdatedAt, Changes: changes}
	doc, err := json.Marshal(e)
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("encode audit entry: %w", err)
	}
	it := item{TenantID: c.TenantID, SK: auditSK(c.ID, c.Version), Kind: "audit",
		Doc: string(doc)}
	return s.put(it, nil)
}

// History returns up to limit audit entries of a campaign of the tenant, newest first.
func (s *Store) History(ctx context.Context, tenant, id string, limit int) ([]Entry, error) {
	keyCond := expression.Key(AttrTenant).Equal(expression.Value(tenant)).
		And(expression.Key(AttrSK).BeginsWith(auditPrefix(id)))
	expr, err := expression.NewBuilder().WithKeyCondition(keyCond).Build()
	if err != nil {
		return nil, fmt.Errorf("build history query: %w", err)
	}
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(s.Table), KeyConditionExpression: expr.KeyCondition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ScanIndexForward: aws.Bool(false), Limit: aws.Int32(int32(limit)),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("query history of %s: %w", id, err)
	}
	entries := make([]Entry, 0, len(out.Items))
	for _, av := range out.Items {
		var it item
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, fmt.Errorf("unmarshal audit item: %w", err)
		}
		var e Entry
		if err := json.Unmarshal([]byte(it.Doc), &e); err != nil {
			return nil, fmt.Errorf("decode audit entry %s: %w", it.SK, err)
		}
		entries = append(entries, e)
	}
	return entries, nil
}
