package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/shared/accounts"
	"github.com/adpulse/adpulse/shared/apikey"
	"github.com/adpulse/adpulse/shared/httpapi"
	"github.com/adpulse/adpulse/shared/password"
	"github.com/adpulse/adpulse/shared/principal"
)

// maxBody bounds request bodies: larger ones answer 413.
const maxBody = 16 << 10

// Handler answers the administration routes.
type Handler struct {
	Accounts *accounts.Store
	Keys     *apikey.Admin
	Hash     password.Params
	Origins  []string
	Log      *slog.Logger
}

// call is one request on its way through the handler.
type call struct {
	req    *events.APIGatewayProxyRequest
	r      httpapi.Responder
	p      principal.Principal
	id     string // the {id} path segment, if any
	result string // for the log line
	err    error
}

// Handle routes one proxy request and logs its outcome.
func (h *Handler) Handle(ctx context.Context,
	req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	start := time.Now()
	c := &call{req: &req, r: httpapi.NewResponder(&req, h.Origins)}
	resp := h.route(ctx, c)

	level := slog.LevelInfo
	if resp.StatusCode >= 500 {
		level = slog.LevelError
	}
	attrs := []any{slog.String("method", req.HTTPMethod), slog.String("path", req.Path),
		slog.Int("status", resp.StatusCode), slog.String("outcome", c.result),
		slog.String("apiRequestId", c.r.RequestID), slog.String("tenantId", c.p.TenantID),
		slog.String("userId", c.p.UserID),
		slog.Int64("durationMs", time.Since(start).Milliseconds())}
	if c.err != nil {
		attrs = append(attrs, slog.String("err", c.err.Error()))
	}
	h.log().Log(ctx, level, "admin request", attrs...)
	return resp, nil
}

// route finds the route, checks the caller may use it and runs it.
func (h *Handler) route(ctx context.Context, c *call) events.APIGatewayProxyResponse {
	segs := strings.Split(strings.Trim(c.req.Path, "/"), "/")
	if len(segs) < 2 || len(segs) > 3 || segs[0] != "v1" {
		return c.notFound("no such route")
	}
	if len(segs) == 3 {
		c.id = segs[2]
	}
	type handlerFunc func(context.Context, *call) events.APIGatewayProxyResponse
	var action principal.Action
	var methods map[string]handlerFunc
	switch {
	case segs[1] == "users" && c.id == "":
		action, methods = principal.ManageUsers, map[string]handlerFunc{
			http.MethodPost: h.createUser, http.MethodGet: h.listUsers}
	case segs[1] == "users":
		action, methods = principal.ManageUsers, map[string]handlerFunc{
			http.MethodGet: h.getUser, http.MethodPatch: h.patchUser}
	case segs[1] == "api-keys" && c.id == "":
		action, methods = principal.ManageKeys, map[string]handlerFunc{
			http.MethodPost: h.createKey, http.MethodGet: h.listKeys}
	case segs[1] == "api-keys":
		action, methods = principal.ManageKeys, map[string]handlerFunc{
			http.MethodDelete: h.revokeKey}
	default:
		return c.notFound("no such route")
	}
	allow := make([]string, 0, len(methods))
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch,
		http.MethodDelete} {
		if _, ok := methods[m]; ok {
			allow = append(allow, m)
		}
	}
	// A preflight comes without a token, so before the principal is read.
	if c.req.HTTPMethod == http.MethodOptions {
		c.result = "preflight"
		return c.r.Preflight(strings.Join(allow, ", "))
	}

	p, err := principal.FromRequest(c.req)
	if err != nil {
		return c.internal(err)
	}
	c.p = p
	if reason := p.Forbidden(action); reason != "" {
		c.result = "forbidden"
		return c.r.Error(http.StatusForbidden, "forbidden", reason)
	}
	fn, ok := methods[c.req.HTTPMethod]
	if !ok {
		c.result = "bad_method"
		return c.r.Problem(http.StatusMethodNotAllowed, httpapi.Problem{
			Code: "method_not_allowed", Message: "method not allowed on this route"},
			map[string]string{"Allow": strings.Join(allow, ", ")})
	}
	return fn(ctx, c)
}

// decode reads a JSON object body into v, a pointer to a body struct, and returns the
// fields that failed decoding: keys v has no field for (reason from unknown), values of
// the wrong type, invalid UTF-8. A tenant_id in the body is ignored: the tenant comes
// from the principal. ok is false when the body is refused outright (415, 413, 400
// bad_json); resp is then the answer.
func (c *call) decode(v any, unknown func(key string) string) (
	fields []httpapi.FieldError, resp events.APIGatewayProxyResponse, ok bool) {
	body, refused := c.r.ReadBody(c.req, maxBody, httpapi.JSONType)
	if refused != nil {
		c.result = "invalid"
		return nil, *refused, false
	}
	fields, err := httpapi.DecodeObject(body, v, unknown, "tenant_id")
	if err != nil {
		c.result = "invalid"
		if !errors.Is(err, httpapi.ErrBadJSON) {
			return nil, c.internal(fmt.Errorf("decode body: %w", err)), false
		}
		return nil, c.r.BadJSON(), false
	}
	return fields, events.APIGatewayProxyResponse{}, true
}

func (c *call) notFound(msg string) events.APIGatewayProxyResponse {
	c.result = "not_found"
	return c.r.Error(http.StatusNotFound, "not_found", msg)
}

func (c *call) internal(err error) events.APIGatewayProxyResponse {
	c.result, c.err = "error", err
	return c.r.Error(http.StatusInternalServerError, "internal", "internal error")
}

func (c *call) invalid(fields ...httpapi.FieldError) events.APIGatewayProxyResponse {
	c.result = "invalid"
	return c.r.Invalid(fields)
}

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}

// isNotFound reports whether err means the thing is not the caller's tenant's.
func isNotFound(err error) bool {
	return errors.Is(err, accounts.ErrNotFound) || errors.Is(err, apikey.ErrNotFound)
}
