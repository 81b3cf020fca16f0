package campaign

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/text/cases"
)

// SortField is a field lists can be sorted by.
type SortField string

// The sort fields. Each is served by a local secondary index of the table.
const (
	SortCreated SortField = "created_at"
	SortUpdated SortField = "updated_at"
	SortName    SortField = "name"
)

// Index names the local secondary index and its sort key attribute for a sort field.
func (f SortField) Index() (index, attr string) {
	switch f {
	case SortUpdated:
		return "by_updated", "updated_key"
	case SortName:
		return "by_name", "name_key"
	}
	return "by_created", "created_key"
}

// keyTime is a fixed-width UTC layout, so that timestamps compare as strings.
const keyTime = "2006-01-02T15:04:05.000000000Z"

// nameSep ends the folded name in the name key; names hold no control characters, so
// a shorter name sorts before every longer one it prefixes.
const nameSep = "\x01"

var fold = cases.Fold()

// SortKey is the index sort key of a campaign for a sort field: the field's value made
// comparable as a string, then the id as a tie-break. Names compare case-insensitively.
func SortKey(c Campaign, f SortField) string {
	switch f {
	case SortUpdated:
		return c.UpdatedAt.UTC().Format(keyTime) + "#" + c.ID
	case SortName:
		return fold.String(c.Name) + nameSep + c.ID
	}
	return c.CreatedAt.UTC().Format(keyTime) + "#" + c.ID
}

// Query is a list request.
type Query struct {
	Sort       SortField
	Descending bool
	Status     Status  // "" lists every status except archived
	BrandID    string  // "" for any
	Channel    Channel // "" for any
	Limit      int     // 1 to 100
	After      *Cursor // where the previous page ended, nil for the first page
}

// Cursor is the position after the last campaign of a page.
type Cursor struct {
	ID      string `json:"id"`
	SortKey string `json:"k"`
}

// Page is one page of a list. Next is nil on the last page.
type Page struct {
	Items []Campaign
	Next  *Cursor
}

// maxRounds bounds the queries one page may take when filters drop most items; a page
// that hits it comes back short, with a cursor to carry on.
const maxRounds = 5

// List returns one page of the tenant's campaigns.
func (s *Store) List(ctx context.Context, tenant string, q Query) (Page, error) {
	in, err := s.listInput(tenant, q)
	if err != nil {
		return Page{}, err
	}
	filtered := in.FilterExpression != nil
	var page Page
	for round := 0; round < maxRounds; round++ {
		need := q.Limit - len(page.Items) + 1
		if filtered && round > 0 && need < 100 {
			need = 100
		}
		in.Limit = aws.Int32(int32(need))
		out, err := s.DB.Query(ctx, in)
		if err != nil {
			return Page{}, fmt.Errorf("query campaigns: %w", err)
		}
		for _, av := range out.Items {
			c, err := decodeItem(av)
			if err != nil {
				return Page{}, err
			}
			page.Items = append(page.Items, c)
		}
		if len(page.Items) > q.Limit {
			page.Items = page.Items[:q.Limit]
			last := page.Items[q.Limit-1]
			page.Next = &Cursor{ID: last.ID, SortKey: SortKey(last, q.Sort)}
			return page, nil
		}
		if out.LastEvaluatedKey == nil {
			page.Next = nil
			return page, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
		page.Next = cursorOf(out.LastEvaluatedKey, q.Sort)
	}
	return page, nil
}

func (s *Store) listInput(tenant string, q Query) (*dynamodb.QueryInput, error) {
	index, attr := q.Sort.Index()
	// The range condition holds for every campaign (their sort keys start with a
	// printable character) and keeps audit and idempotency items out even where an
	// emulator does not treat the index as sparse.
	keyCond := expression.Key(AttrTenant).Equal(expression.Value(tenant)).
		And(expression.Key(attr).GreaterThanEqual(expression.Value(" ")))
	b := expression.NewBuilder().WithKeyCondition(keyCond)
	if f, ok := filter(q); ok {
		b = b.WithFilter(f)
	}
	expr, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("build list query: %w", err)
	}
	in := &dynamodb.QueryInput{
		TableName: aws.String(s.Table), IndexName: aws.String(index),
		KeyConditionExpression: expr.KeyCondition(), FilterExpression: expr.Filter(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ScanIndexForward: aws.Bool(!q.Descending),
	}
	if q.After != nil {
		in.ExclusiveStartKey = key(tenant, q.After.ID)
		in.ExclusiveStartKey[attr] = &types.AttributeValueMemberS{Value: q.After.SortKey}
	}
	return in, nil
}

func filter(q Query) (expression.ConditionBuilder, bool) {
	var conds []expression.ConditionBuilder
	if q.Status == "" {
		conds = append(conds, expression.Name("status").NotEqual(expression.Value(Archived)))
	} else {
		conds = append(conds, expression.Name("status").Equal(expression.Value(q.Status)))
	}
	if q.BrandID != "" {
		conds = append(conds, expression.Name("brand_id").Equal(expression.Value(q.BrandID)))
	}
	if q.Channel != "" {
		conds = append(conds, expression.Name("channels").Contains(string(q.Channel)))
	}
	if len(conds) == 1 {
		return conds[0], true
	}
	return expression.And(conds[0], conds[1], conds[2:]...), true
}

func cursorOf(lek map[string]types.AttributeValue, f SortField) *Cursor {
	_, attr := f.Index()
	str := func(k string) string {
		if v, ok := lek[k].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	return &Cursor{ID: str(AttrSK), SortKey: str(attr)}
}

// Normalize returns the canonical text of a query's sort and filters (not its limit or
// position), which a cursor is bound to.
func (q Query) Normalize() string {
	sort := string(q.Sort)
	if q.Descending {
		sort = "-" + sort
	}
	return strings.Join([]string{"sort=" + sort, "status=" + string(q.Status),
		"brand_id=" + q.BrandID, "channel=" + string(q.Channel)}, "&")
}
