package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/shared/httpapi"
	"github.com/adpulse/adpulse/shared/principal"
)

// HandlerFunc is a Lambda handler of API Gateway proxy requests.
type HandlerFunc func(context.Context, events.APIGatewayProxyRequest) (
	events.APIGatewayProxyResponse, error)

// Guard counts each request of a signed-in user against l before next sees it, and answers
// 429 with Retry-After when the user is over the limit. CORS preflights and requests
// without a principal (next refuses those itself) are not counted. A nil l lets every
// request through. origins is the function's CORS allow-list, for the 429's headers.
func Guard(l *Limiter, origins []string, log *slog.Logger, next HandlerFunc) HandlerFunc {
	if l == nil {
		return next
	}
	if log == nil {
		log = slog.Default()
	}
	return func(ctx context.Context, req events.APIGatewayProxyRequest) (
		events.APIGatewayProxyResponse, error) {
		p, err := principal.FromRequest(&req)
		if err != nil || req.HTTPMethod == http.MethodOptions {
			return next(ctx, req)
		}

		d, err := l.Take(ctx, Key(p))
		if err != nil {
			log.WarnContext(ctx, "rate limit unavailable; request let through",
				slog.String("apiRequestId", req.RequestContext.RequestID),
				slog.String("tenantId", p.TenantID), slog.String("userId", p.UserID),
				slog.String("err", err.Error()))
			return next(ctx, req)
		}
		if !d.Allowed {
			secs := int(d.RetryAfter / time.Second)
			log.InfoContext(ctx, "rate limited",
				slog.String("apiRequestId", req.RequestContext.RequestID),
				slog.String("tenantId", p.TenantID), slog.String("userId", p.UserID),
				slog.Int("retryAfterSeconds", secs))
			r := httpapi.NewResponder(&req, origins)
			return r.Problem(http.StatusTooManyRequests, httpapi.Problem{
				Code: "rate_limited",
				Message: fmt.Sprintf("over %d requests in %d s from this user; retry after %d s",
					d.Limit, int(l.Window/time.Second), secs),
			}, map[string]string{"Retry-After": strconv.Itoa(secs)}), nil
		}
		return next(ctx, req)
	}
}

// Key is the counter of one user: tenant and user, so no two tenants share one.
func Key(p principal.Principal) string { return "user#" + p.TenantID + "#" + p.UserID }

// FromEnv builds the limiter of a management function from RATE_LIMITS_TABLE (nil when
// unset: no limit), USER_RATE_LIMIT (requests per window, DefaultLimit when unset) and
// USER_RATE_WINDOW_SECONDS (DefaultWindow when unset).
func FromEnv(db API) (*Limiter, error) {
	table := os.Getenv("RATE_LIMITS_TABLE")
	if table == "" {
		return nil, nil
	}
	l := &Limiter{DB: db, Table: table, Limit: DefaultLimit, Window: DefaultWindow}
	if v := os.Getenv("USER_RATE_LIMIT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("USER_RATE_LIMIT %q: want a whole number of at least 1", v)
		}
		l.Limit = n
	}
	if v := os.Getenv("USER_RATE_WINDOW_SECONDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("USER_RATE_WINDOW_SECONDS %q: want a whole number of "+
				"at least 1", v)
		}
		l.Window = time.Duration(n) * time.Second
	}
	return l, nil
}
