package accounts

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Family is one chain of refresh tokens, started by one sign-in. Revoking it ends every
// token of the chain.
type Family struct {
	ID        string `dynamodbav:"family_id"`
	TenantID  string `dynamodbav:"tenant_id"`
	UserID    string `dynamodbav:"user_id"`
	Revoked   bool   `dynamodbav:"revoked"`
	CreatedAt string `dynamodbav:"created_at"`
	ExpiresAt int64  `dynamodbav:"expires_at"` // epoch seconds; the chain's hard end
}

// Refresh is one refresh token, known only by its hash.
type Refresh struct {
	Hash      string `dynamodbav:"token_hash"`
	FamilyID  string `dynamodbav:"family_id"`
	TenantID  string `dynamodbav:"tenant_id"`
	UserID    string `dynamodbav:"user_id"`
	Used      bool   `dynamodbav:"used"`
	ExpiresAt int64  `dynamodbav:"expires_at"` // epoch seconds
}

// StartFamily writes a new family and its first token in one transaction.
func (s *Store) StartFamily(ctx context.Context, f Family, first Refresh) error {
	famItem, err := marshal(tenantPK(f.TenantID), familySK(f.UserID, f.ID), f)
	if err != nil {
		return err
	}
	tokItem, err := marshal(refreshPK(first.Hash), "refresh", first)
	if err != nil {
		return err
	}
	famPut, err := s.putNew(famItem)
	if err != nil {
		return err
	}
	tokPut, err := s.putNew(tokItem)
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{{Put: famPut}, {Put: tokPut}},
	})
	if err != nil {
		return fmt.Errorf("start refresh family for user %s: %w", f.UserID, err)
	}
	return nil
}

// GetRefresh reads a refresh token by its hash, or ErrNotFound.
func (s *Store) GetRefresh(ctx context.Context, hash string) (Refresh, error) {
	var r Refresh
	err := s.get(ctx, refreshPK(hash), "refresh", &r)
	return r, err
}

// GetFamily reads a family, or ErrNotFound.
func (s *Store) GetFamily(ctx context.Context, tenantID, userID, familyID string) (Family,
	error) {
	var f Family
	err := s.get(ctx, tenantPK(tenantID), familySK(userID, familyID), &f)
	return f, err
}

// Rotate marks old used and writes next, in one transaction that also checks the family
// is not revoked. It fails with ErrRefreshUsed when old was used meanwhile (two clients
// raced, or a thief), and with ErrFamilyRevoked.
func (s *Store) Rotate(ctx context.Context, old, next Refresh) error {
	markUsed, err := expression.NewBuilder().
		WithUpdate(expression.Set(expression.Name("used"), expression.Value(true))).
		WithCondition(expression.Name("used").Equal(expression.Value(false))).Build()
	if err != nil {
		return fmt.Errorf("rotate refresh token: build update: %w", err)
	}
	live, err := expression.NewBuilder().
		WithCondition(expression.Name("revoked").Equal(expression.Value(false))).Build()
	if err != nil {
		return fmt.Errorf("rotate refresh token: build check: %w", err)
	}
	famKey := key(tenantPK(old.TenantID), familySK(old.UserID, old.FamilyID))
	nextItem, err := marshal(refreshPK(next.Hash), "refresh", next)
	if err != nil {
		return err
	}
	nextPut, err := s.putNew(nextItem)
	if err != nil {
		return err
	}

	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{
			{Update: &types.Update{
				TableName: aws.String(s.table), Key: key(refreshPK(old.Hash), "refresh"),
				UpdateExpression:          oneLine(markUsed.Update()),
				ConditionExpression:       markUsed.Condition(),
				ExpressionAttributeNames:  markUsed.Names(),
				ExpressionAttributeValues: markUsed.Values(),
			}},
			{ConditionCheck: &types.ConditionCheck{
				TableName:                 aws.String(s.table),
				Key:                       famKey,
				ConditionExpression:       live.Condition(),
				ExpressionAttributeNames:  live.Names(),
				ExpressionAttributeValues: live.Values(),
			}},
			{Put: nextPut},
		},
	})
	if codes := cancelled(err); len(codes) == 3 {
		switch {
		case codes[0] == "ConditionalCheckFailed":
			return ErrRefreshUsed
		case codes[1] == "ConditionalCheckFailed":
			return ErrFamilyRevoked
		}
	}
	if err != nil {
		return fmt.Errorf("rotate refresh token of family %s: %w", old.FamilyID, err)
	}
	return nil
}

// RevokeFamily revokes one family. Revoking a missing or revoked family is not an error.
func (s *Store) RevokeFamily(ctx context.Context, tenantID, userID, familyID string) error {
	expr, err := expression.NewBuilder().
		WithUpdate(expression.Set(expression.Name("revoked"), expression.Value(true))).
		WithCondition(expression.AttributeExists(expression.Name("pk"))).Build()
	if err != nil {
		return fmt.Errorf("revoke family: build expression: %w", err)
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       key(tenantPK(tenantID), familySK(userID, familyID)),
		UpdateExpression:          oneLine(expr.Update()),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	var cond *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &cond) {
		return fmt.Errorf("revoke family %s: %w", familyID, err)
	}
	return nil
}

// RevokeUserFamilies revokes every live family of a user, ending all their sessions once
// their access tokens expire, and returns how many it revoked.
func (s *Store) RevokeUserFamilies(ctx context.Context, tenantID, userID string) (int,
	error) {
	kc := expression.Key("pk").Equal(expression.Value(tenantPK(tenantID))).
		And(expression.Key("sk").BeginsWith(familySK(userID, "")))
	var live []Family
	err := s.query(ctx, kc, func(items []map[string]types.AttributeValue) error {
		var page []Family
		if err := attributevalue.UnmarshalListOfMaps(items, &page); err != nil {
			return fmt.Errorf("decode families: %w", err)
		}
		for _, f := range page {
			if !f.Revoked {
				live = append(live, f)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("list families of user %s: %w", userID, err)
	}
	for _, f := range live {
		if err := s.RevokeFamily(ctx, tenantID, userID, f.ID); err != nil {
			return 0, err
		}
	}
	return len(live), nil
}
