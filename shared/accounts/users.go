package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/adpulse/adpulse/shared/principal"
)

// Tenant is one customer of the platform.
type Tenant struct {
	ID        string `dynamodbav:"tenant_id"`
	Name      string `dynamodbav:"name"`
	CreatedAt string `dynamodbav:"created_at"`
}

// User is one person who signs in to a tenant.
type User struct {
	ID           string         `dynamodbav:"user_id"`
	TenantID     string         `dynamodbav:"tenant_id"`
	Email        string         `dynamodbav:"email"`
	Role         principal.Role `dynamodbav:"role"`
	Disabled     bool           `dynamodbav:"disabled"`
	PasswordHash string         `dynamodbav:"password_hash"`
	CreatedAt    string         `dynamodbav:"created_at"`
	UpdatedAt    string         `dynamodbav:"updated_at"`
}

// emailItem points an email at its user.
type emailItem struct {
	Email    string `dynamodbav:"email"`
	TenantID string `dynamodbav:"tenant_id"`
	UserID   string `dynamodbav:"user_id"`
}

// CreateTenant writes a tenant and its first user in one transaction. It fails with
// ErrEmailTaken when the user's email is registered anywhere.
func (s *Store) CreateTenant(ctx context.Context, t Tenant, admin User) error {
	item, err := marshal(tenantPK(t.ID), "tenant", t)
	if err != nil {
		return err
	}
	tenantPut, err := s.putNew(item)
	if err != nil {
		return err
	}
	return s.createUser(ctx, admin, types.TransactWriteItem{Put: tenantPut})
}

// CreateUser writes a user of an existing tenant and its email item in one transaction.
// It fails with ErrEmailTaken or ErrTenantNotFound.
func (s *Store) CreateUser(ctx context.Context, u User) error {
	cond, err := expression.NewBuilder().
		WithCondition(expression.AttributeExists(expression.Name("pk"))).Build()
	if err != nil {
		return fmt.Errorf("create user: build condition: %w", err)
	}
	check := types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName: aws.String(s.table), Key: key(tenantPK(u.TenantID), "tenant"),
		ConditionExpression:      cond.Condition(),
		ExpressionAttributeNames: cond.Names(),
	}}
	return s.createUser(ctx, u, check)
}

// createUser writes the user and email items after first, which checks or writes the
// tenant.
func (s *Store) createUser(ctx context.Context, u User, first types.TransactWriteItem) error {
	u.Email = NormalizeEmail(u.Email)
	userItem, err := marshal(tenantPK(u.TenantID), userSK(u.ID), u)
	if err != nil {
		return err
	}
	emailItem, err := marshal(emailPK(u.Email), "email",
		emailItem{Email: u.Email, TenantID: u.TenantID, UserID: u.ID})
	if err != nil {
		return err
	}
	userPut, err := s.putNew(userItem)
	if err != nil {
		return err
	}
	emailPut, err := s.putNew(emailItem)
	if err != nil {
		return err
	}

	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{first, {Put: userPut}, {Put: emailPut}},
	})
	if codes := cancelled(err); codes != nil {
		switch {
		case len(codes) == 3 && codes[2] == "ConditionalCheckFailed":
			return ErrEmailTaken
		case len(codes) == 3 && codes[0] == "ConditionalCheckFailed" &&
			first.ConditionCheck != nil:
			return ErrTenantNotFound
		}
	}
	if err != nil {
		return fmt.Errorf("create user in tenant %s: %w", u.TenantID, err)
	}
	return nil
}

// putNew returns a Put of item that fails if the item exists.
func (s *Store) putNew(item map[string]types.AttributeValue) (*types.Put, error) {
	cond, err := expression.NewBuilder().
		WithCondition(expression.AttributeNotExists(expression.Name("pk"))).Build()
	if err != nil {
		return nil, fmt.Errorf("build put condition: %w", err)
	}
	return &types.Put{
		TableName: aws.String(s.table), Item: item,
		ConditionExpression:      cond.Condition(),
		ExpressionAttributeNames: cond.Names(),
	}, nil
}

// GetTenant reads a tenant, or ErrNotFound.
func (s *Store) GetTenant(ctx context.Context, tenantID string) (Tenant, error) {
	var t Tenant
	err := s.get(ctx, tenantPK(tenantID), "tenant", &t)
	return t, err
}

// GetUser reads one user of a tenant, or ErrNotFound.
func (s *Store) GetUser(ctx context.Context, tenantID, userID string) (User, error) {
	var u User
	err := s.get(ctx, tenantPK(tenantID), userSK(userID), &u)
	return u, err
}

// UserByEmail finds the user an email belongs to, in whichever tenant, or ErrNotFound.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	var e emailItem
	if err := s.get(ctx, emailPK(email), "email", &e); err != nil {
		return User{}, err
	}
	return s.GetUser(ctx, e.TenantID, e.UserID)
}

// ListUsers returns every user of a tenant, in id (creation) order.
func (s *Store) ListUsers(ctx context.Context, tenantID string) ([]User, error) {
	kc := expression.Key("pk").Equal(expression.Value(tenantPK(tenantID))).
		And(expression.Key("sk").BeginsWith("user#"))
	var users []User
	err := s.query(ctx, kc, func(items []map[string]types.AttributeValue) error {
		var page []User
		if err := attributevalue.UnmarshalListOfMaps(items, &page); err != nil {
			return fmt.Errorf("decode users: %w", err)
		}
		users = append(users, page...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list users of tenant %s: %w", tenantID, err)
	}
	return users, nil
}

// query runs a key condition to the last page, handing each page to fn.
func (s *Store) query(ctx context.Context, kc expression.KeyConditionBuilder,
	fn func([]map[string]types.AttributeValue) error) error {
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return fmt.Errorf("build key condition: %w", err)
	}
	in := &dynamodb.QueryInput{
		TableName: aws.String(s.table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}
	for {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return err
		}
		if err := fn(out.Items); err != nil {
			return err
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// UserChange is a partial update of a user; nil fields stay as they are.
type UserChange struct {
	Role     *principal.Role
	Disabled *bool
}

// UpdateUser applies a change to one user of a tenant and returns the user as it is now,
// or ErrNotFound.
func (s *Store) UpdateUser(ctx context.Context, tenantID, userID string,
	c UserChange) (User, error) {
	upd := expression.Set(expression.Name("updated_at"),
		expression.Value(time.Now().UTC().Format(time.RFC3339)))
	if c.Role != nil {
		upd = upd.Set(expression.Name("role"), expression.Value(*c.Role))
	}
	if c.Disabled != nil {
		upd = upd.Set(expression.Name("disabled"), expression.Value(*c.Disabled))
	}
	expr, err := expression.NewBuilder().WithUpdate(upd).
		WithCondition(expression.AttributeExists(expression.Name("pk"))).Build()
	if err != nil {
		return User{}, fmt.Errorf("update user: build expression: %w", err)
	}

	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table), Key: key(tenantPK(tenantID), userSK(userID)),
		UpdateExpression:          oneLine(expr.Update()),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	var cond *types.ConditionalCheckFailedException
	if errors.As(err, &cond) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("update user %s: %w", userID, err)
	}
	return s.GetUser(ctx, tenantID, userID)
}
