package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/docs"
	"github.com/adpulse/adpulse/shared/auth"
	"github.com/adpulse/adpulse/shared/httpapi"
	"github.com/adpulse/adpulse/shared/signin"
)

// maxBody bounds request bodies; sign-in bodies are a few hundred bytes.
const maxBody = 8 << 10

// Handler answers the sign-in routes.
type Handler struct {
	Service *signin.Service
	Keys    auth.KeySource
	Origins []string
	Log     *slog.Logger
}

// outcome is what one invocation did, for its log line. It never holds secrets.
type outcome struct {
	route  string
	result string
	userID string
	tenant string
	err    error
	level  slog.Level
}

// Handle routes one proxy request and logs its outcome.
func (h *Handler) Handle(ctx context.Context,
	req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	start := time.Now()
	r := httpapi.NewResponder(&req, h.Origins)
	out := &outcome{route: req.HTTPMethod + " " + req.Path, level: slog.LevelInfo}
	resp := h.route(ctx, &req, r, out)

	if resp.StatusCode >= 500 {
		out.level = slog.LevelError
	}
	attrs := []any{slog.String("route", out.route), slog.Int("status", resp.StatusCode),
		slog.String("outcome", out.result), slog.String("apiRequestId", r.RequestID),
		slog.Int64("durationMs", time.Since(start).Milliseconds())}
	if out.userID != "" {
		attrs = append(attrs, slog.String("userId", out.userID),
			slog.String("tenantId", out.tenant))
	}
	if out.err != nil {
		attrs = append(attrs, slog.String("err", out.err.Error()))
	}
	h.log().Log(ctx, out.level, "auth request", attrs...)
	return resp, nil
}

func (h *Handler) route(ctx context.Context, req *events.APIGatewayProxyRequest,
	r httpapi.Responder, out *outcome) events.APIGatewayProxyResponse {
	type route struct {
		method string
		fn     func(context.Context, *events.APIGatewayProxyRequest, httpapi.Responder,
			*outcome) events.APIGatewayProxyResponse
	}
	routes := map[string]route{
		"/v1/auth/login":         {http.MethodPost, h.login},
		"/v1/auth/refresh":       {http.MethodPost, h.refresh},
		"/v1/auth/logout":        {http.MethodPost, h.logout},
		"/.well-known/jwks.json": {http.MethodGet, h.jwks},
		"/v1/openapi.json":       {http.MethodGet, h.openapi},
	}
	rt, ok := routes[strings.TrimSuffix(req.Path, "/")]
	switch {
	case !ok:
		out.result = "no_route"
		return r.Error(http.StatusNotFound, "not_found", "no such route")
	case req.HTTPMethod == http.MethodOptions:
		out.result = "preflight"
		return r.Preflight(rt.method)
	case req.HTTPMethod != rt.method:
		out.result = "bad_method"
		return r.Problem(http.StatusMethodNotAllowed, httpapi.Problem{
			Code: "method_not_allowed", Message: "use " + rt.method},
			map[string]string{"Allow": rt.method})
	}
	return rt.fn(ctx, req, r, out)
}

type loginBody struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (h *Handler) login(ctx context.Context, req *events.APIGatewayProxyRequest,
	r httpapi.Responder, out *outcome) events.APIGatewayProxyResponse {
	var body loginBody
	if resp, ok := decode(req, r, &body, out); !ok {
		return resp
	}
	var fields []httpapi.FieldError
	if strings.TrimSpace(body.Email) == "" {
		fields = append(fields, httpapi.FieldError{Field: "email", Reason: "required"})
	}
	if body.Password == "" {
		fields = append(fields, httpapi.FieldError{Field: "password", Reason: "required"})
	}
	if fields != nil {
		out.result = "invalid"
		return r.Invalid(fields)
	}

	ip := req.RequestContext.Identity.SourceIP
	toks, u, err := h.Service.Login(ctx, body.Email, body.Password, ip)
	var th *signin.ThrottledError
	switch {
	case errors.As(err, &th):
		out.result, out.level = "throttled", slog.LevelWarn
		if th.Locked {
			out.result = "locked"
		}
		return tooMany(r, th.RetryAfter)
	case errors.Is(err, signin.ErrBadCredentials):
		out.result = "bad_credentials"
		return r.Error(http.StatusUnauthorized, "invalid_credentials",
			"invalid email or password")
	case err != nil:
		out.result, out.err = "error", err
		return r.Error(http.StatusInternalServerError, "internal", "internal error")
	}
	out.result, out.userID, out.tenant = "signed_in", u.ID, u.TenantID
	return r.JSON(http.StatusOK, toks, nil)
}

type refreshBody struct {
	RefreshToken string `json:"refresh_token"`
}

func (h *Handler) refresh(ctx context.Context, req *events.APIGatewayProxyRequest,
	r httpapi.Responder, out *outcome) events.APIGatewayProxyResponse {
	var body refreshBody
	if resp, ok := decode(req, r, &body, out); !ok {
		return resp
	}
	toks, err := h.Service.Refresh(ctx, body.RefreshToken)
	switch {
	case errors.Is(err, signin.ErrRefreshReuse):
		out.result, out.level = "reuse_family_revoked", slog.LevelWarn
		return invalidRefresh(r)
	case errors.Is(err, signin.ErrInvalidRefresh):
		out.result = "invalid_refresh"
		return invalidRefresh(r)
	case err != nil:
		out.result, out.err = "error", err
		return r.Error(http.StatusInternalServerError, "internal", "internal error")
	}
	out.result = "refreshed"
	return r.JSON(http.StatusOK, toks, nil)
}

func (h *Handler) logout(ctx context.Context, req *events.APIGatewayProxyRequest,
	r httpapi.Responder, out *outcome) events.APIGatewayProxyResponse {
	var body refreshBody
	if resp, ok := decode(req, r, &body, out); !ok {
		return resp
	}
	if err := h.Service.Logout(ctx, body.RefreshToken); err != nil {
		out.result, out.err = "error", err
		return r.Error(http.StatusInternalServerError, "internal", "internal error")
	}
	out.result = "signed_out"
	resp := r.JSON(http.StatusNoContent, struct{}{}, nil)
	resp.Body = ""
	return resp
}

func (h *Handler) jwks(ctx context.Context, _ *events.APIGatewayProxyRequest,
	r httpapi.Responder, out *outcome) events.APIGatewayProxyResponse {
	ks, err := h.Keys.Keys(ctx)
	if err != nil {
		out.result, out.err = "error", err
		return r.Error(http.StatusInternalServerError, "internal", "internal error")
	}
	out.result = "jwks"
	return r.JSON(http.StatusOK, ks.JWKS(),
		map[string]string{"Cache-Control": "public, max-age=300"})
}

// decode reads a small JSON body into v, or returns the 400 to send.
func decode(req *events.APIGatewayProxyRequest, r httpapi.Responder, v any,
	out *outcome) (events.APIGatewayProxyResponse, bool) {
	body, err := httpapi.Body(req)
	if err != nil || len(body) > maxBody {
		out.result = "invalid"
		return r.Error(http.StatusBadRequest, "bad_request", "body too large or not JSON"),
			false
	}
	if err := json.Unmarshal(body, v); err != nil {
		out.result = "invalid"
		return r.Error(http.StatusBadRequest, "bad_request", "body is not a JSON object"),
			false
	}
	return events.APIGatewayProxyResponse{}, true
}

// openapi serves the OpenAPI document of the whole API (docs/openapi.json). It lives
// here because, like the key set, it is a public document of the API.
func (h *Handler) openapi(_ context.Context, _ *events.APIGatewayProxyRequest,
	r httpapi.Responder, out *outcome) events.APIGatewayProxyResponse {
	out.result = "openapi"
	return r.JSON(http.StatusOK, json.RawMessage(docs.OpenAPI),
		map[string]string{"Cache-Control": "public, max-age=300"})
}

func invalidRefresh(r httpapi.Responder) events.APIGatewayProxyResponse {
	return r.Error(http.StatusUnauthorized, "invalid_refresh_token",
		"the refresh token is invalid, expired or revoked; sign in again")
}

func tooMany(r httpapi.Responder, wait time.Duration) events.APIGatewayProxyResponse {
	secs := int(math.Ceil(wait.Seconds()))
	return r.Problem(http.StatusTooManyRequests, httpapi.Problem{Code: "too_many_attempts",
		Message: "too many failed sign-ins; retry after " + strconv.Itoa(secs) + " s"},
		map[string]string{"Retry-After": strconv.Itoa(secs)})
}

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}
