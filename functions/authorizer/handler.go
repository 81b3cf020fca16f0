package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/shared/accounts"
	"github.com/adpulse/adpulse/shared/auth"
	"github.com/adpulse/adpulse/shared/principal"
	"github.com/adpulse/adpulse/shared/usageplan"
)

// ErrUnauthorized is the error API Gateway turns into a 401. Its text must be exactly
// "Unauthorized".
var ErrUnauthorized = errors.New("Unauthorized")

// UserReader reads a user of a tenant; accounts.ErrNotFound when there is none.
type UserReader interface {
	GetUser(ctx context.Context, tenantID, userID string) (accounts.User, error)
}

// Handler authorizes management requests.
type Handler struct {
	Verifier *auth.Verifier
	Users    UserReader
	Log      *slog.Logger
}

// Handle verifies the bearer token and returns an Allow policy for the stage.
func (h *Handler) Handle(ctx context.Context,
	req events.APIGatewayCustomAuthorizerRequestTypeRequest) (
	events.APIGatewayCustomAuthorizerResponse, error) {
	resp, p, reason, err := h.authorize(ctx, &req)
	attrs := []any{slog.String("path", req.Path), slog.String("outcome", reason),
		slog.String("apiRequestId", req.RequestContext.RequestID)}
	if p.UserID != "" {
		attrs = append(attrs, slog.String("userId", p.UserID),
			slog.String("tenantId", p.TenantID))
	}
	switch {
	case err == nil:
		h.log().InfoContext(ctx, "authorized", attrs...)
	case errors.Is(err, ErrUnauthorized):
		h.log().InfoContext(ctx, "refused", attrs...)
	default:
		h.log().ErrorContext(ctx, "authorizer failed", append(attrs,
			slog.String("err", err.Error()))...)
		return events.APIGatewayCustomAuthorizerResponse{}, errors.New("internal error")
	}
	return resp, err
}

func (h *Handler) authorize(ctx context.Context,
	req *events.APIGatewayCustomAuthorizerRequestTypeRequest) (
	events.APIGatewayCustomAuthorizerResponse, principal.Principal, string, error) {
	var none events.APIGatewayCustomAuthorizerResponse
	token, ok := bearer(req)
	if !ok {
		return none, principal.Principal{}, "no_bearer_token", ErrUnauthorized
	}
	claims, err := h.Verifier.Verify(ctx, token)
	if errors.Is(err, auth.ErrInvalidToken) {
		return none, principal.Principal{}, "invalid_token", ErrUnauthorized
	}
	if err != nil {
		return none, principal.Principal{}, "error", err
	}

	// The user's current state wins over the token's: a disabled or removed user is
	// refused at once (give or take the cache), and a changed role applies.
	u, err := h.Users.GetUser(ctx, claims.TenantID, claims.Subject)
	if errors.Is(err, accounts.ErrNotFound) {
		return none, principal.Principal{}, "unknown_user", ErrUnauthorized
	}
	if err != nil {
		return none, principal.Principal{}, "error", err
	}
	p := principal.Principal{TenantID: u.TenantID, UserID: u.ID, Role: u.Role,
		Email: u.Email}
	if u.Disabled {
		return none, p, "user_disabled", ErrUnauthorized
	}

	resource, err := stageWildcard(req.MethodArn)
	if err != nil {
		return none, p, "error", err
	}
	return events.APIGatewayCustomAuthorizerResponse{
		PrincipalID: u.ID,
		PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{
			Version: "2012-10-17",
			Statement: []events.IAMPolicyStatement{{Action: []string{"execute-api:Invoke"},
				Effect: "Allow", Resource: []string{resource}}},
		},
		Context: p.Context(),
		// The tenant's meter in the API's usage plan (key source AUTHORIZER): every
		// user of a tenant draws on the same per-tenant throttle and quota.
		UsageIdentifierKey: usageplan.KeyValue(u.TenantID),
	}, p, "allowed", nil
}

// bearer returns the token of an "Authorization: Bearer <token>" header, whatever the
// case of the header name and of the scheme. A request with more than one Authorization
// value has none: the gateway may key its cache on one value while this reads another,
// which would let one token's answer be cached for a different token.
func bearer(req *events.APIGatewayCustomAuthorizerRequestTypeRequest) (string, bool) {
	var values []string
	for k, vs := range req.MultiValueHeaders {
		if strings.EqualFold(k, "Authorization") {
			values = append(values, vs...)
		}
	}
	if len(values) == 0 { // an event without multi-value headers
		for k, v := range req.Headers {
			if strings.EqualFold(k, "Authorization") {
				values = append(values, v)
			}
		}
	}
	if len(values) != 1 {
		return "", false
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(values[0]), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

// stageWildcard turns arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/PATH into the
// ARN of every method and path of that stage, so that a cached answer for a token holds
// for all its routes.
func stageWildcard(methodARN string) (string, error) {
	parts := strings.SplitN(methodARN, "/", 3)
	if len(parts) < 2 || !strings.HasPrefix(parts[0], "arn:") || parts[1] == "" {
		return "", fmt.Errorf("unexpected method ARN %q", methodARN)
	}
	return parts[0] + "/" + parts[1] + "/*/*", nil
}

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}

// UserCache remembers user lookups, found or not, for a short time.
type UserCache struct {
	users UserReader
	ttl   time.Duration
	now   func() time.Time

	mu      sync.Mutex
	entries map[string]userEntry
}

type userEntry struct {
	user    accounts.User
	err     error
	expires time.Time
}

// maxUsers bounds the cache; past it the cache starts again empty.
const maxUsers = 10000

// NewUserCache wraps a reader with a cache of the given lifetime.
func NewUserCache(users UserReader, ttl time.Duration) *UserCache {
	return &UserCache{users: users, ttl: ttl, now: time.Now, entries: map[string]userEntry{}}
}

// GetUser is UserReader.GetUser with caching; errors other than ErrNotFound are not
// cached.
func (c *UserCache) GetUser(ctx context.Context, tenantID, userID string) (accounts.User,
	error) {
	k := tenantID + "/" + userID
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[k]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.user, e.err
	}

	u, err := c.users.GetUser(ctx, tenantID, userID)
	if err != nil && !errors.Is(err, accounts.ErrNotFound) {
		return accounts.User{}, err
	}
	c.mu.Lock()
	if len(c.entries) >= maxUsers {
		c.entries = map[string]userEntry{}
	}
	c.entries[k] = userEntry{user: u, err: err, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return u, err
}
