package main

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/httpapi"
	"github.com/adpulse/adpulse/shared/netguard"
	"github.com/adpulse/adpulse/shared/principal"
	"github.com/adpulse/adpulse/shared/rules"
)

// Campaigns reads the caller's campaigns; *campaign.Store satisfies it.
type Campaigns interface {
	Get(ctx context.Context, tenant, id string) (campaign.Campaign, error)
}

// Handler serves the rule routes.
type Handler struct {
	Rules     *rules.Store
	Campaigns Campaigns
	Resolver  netguard.Resolver // resolves destination hosts at save
	Origins   []string          // CORS allow-list
	Log       *slog.Logger
}

// call is one request on its way through the handler.
type call struct {
	ctx  context.Context
	req  *events.APIGatewayProxyRequest
	resp httpapi.Responder
	who  principal.Principal
	id   string // the rule id of the path, if any
	err  error  // an internal error, logged and never shown
}

// Errors of the HTTP layer.
var (
	errPrecondition = errors.New("If-Match does not match the current ETag")
	errLimit        = errors.New("the tenant has the most rules allowed")
)

// fieldsError carries field errors found outside rules.DecodeSpec.
type fieldsError struct{ fields []httpapi.FieldError }

func (e *fieldsError) Error() string { return "invalid rule" }

const (
	maxBody           = 64 << 10 // a rule is a few kilobytes
	maxRulesPerTenant = 500
	jsonType          = "application/json"
	mergePatchType    = "application/merge-patch+json"
)

var idRE = regexp.MustCompile(`^rul_[0-9A-HJKMNP-TV-Z]{26}$`)

// Handle answers one proxy request and logs one outcome line for it.
func (h *Handler) Handle(ctx context.Context,
	req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	start := time.Now()
	c := &call{ctx: ctx, req: &req, resp: httpapi.NewResponder(&req, h.Origins),
		id: req.PathParameters["id"]}
	out := h.serve(c)

	attrs := []any{"method", req.HTTPMethod, "resource", req.Resource,
		"status", out.StatusCode, "tenant", c.who.TenantID, "user", c.who.UserID,
		"ruleId", c.id, "apiRequestId", req.RequestContext.RequestID,
		"durationMs", time.Since(start).Milliseconds()}
	if c.err != nil {
		h.Log.ErrorContext(ctx, "rules request failed", append(attrs, "err", c.err)...)
	} else {
		h.Log.InfoContext(ctx, "rules request", attrs...)
	}
	return out, nil
}

// route answers one method of one resource.
type route func(*call) events.APIGatewayProxyResponse

// routes maps each resource (API Gateway's template) to its methods.
func (h *Handler) routes() map[string]map[string]route {
	return map[string]map[string]route{
		"/v1/rules": {http.MethodPost: h.create, http.MethodGet: h.list},
		"/v1/rules/{id}": {http.MethodGet: h.get, http.MethodPut: h.replace,
			http.MethodPatch: h.patch, http.MethodDelete: h.remove},
		"/v1/rules/{id}/deliveries":                 {http.MethodGet: h.deliveries},
		"/v1/rules/{id}/channels/{n}/rotate-secret": {http.MethodPost: h.rotate},
	}
}

func (h *Handler) serve(c *call) events.APIGatewayProxyResponse {
	methods, ok := h.routes()[c.req.Resource]
	if !ok {
		return c.resp.Error(http.StatusNotFound, "not_found", "no such route")
	}
	if c.req.HTTPMethod == http.MethodOptions {
		return preflight(c, methods)
	}
	fn, ok := methods[c.req.HTTPMethod]
	if !ok {
		return c.resp.Problem(http.StatusMethodNotAllowed, httpapi.Problem{
			Code: "method_not_allowed", Message: "method not allowed on this resource"},
			map[string]string{"Allow": allow(methods)})
	}

	// Who is calling and may they do this?
	who, err := principal.FromRequest(c.req)
	if err != nil {
		c.err = err
		return c.resp.Error(http.StatusInternalServerError, "internal", "internal error")
	}
	c.who = who
	action := principal.WriteRules
	if c.req.HTTPMethod == http.MethodGet {
		action = principal.ReadRules
	}
	if reason := who.Forbidden(action); reason != "" {
		return c.resp.Error(http.StatusForbidden, "forbidden", reason)
	}
	if strings.Contains(c.req.Resource, "{id}") && !idRE.MatchString(c.id) {
		return c.resp.Error(http.StatusNotFound, "not_found", "rule not found")
	}
	return fn(c)
}

// preflight answers a CORS preflight; the CORS headers appear only for allowed origins.
func preflight(c *call, methods map[string]route) events.APIGatewayProxyResponse {
	return c.resp.Preflight(allow(methods))
}

// allow lists a resource's methods for the Allow header.
func allow(methods map[string]route) string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete} {
		if _, ok := methods[m]; ok {
			out = append(out, m)
		}
	}
	return strings.Join(out, ", ")
}

// fail maps an error to its answer; anything unknown is internal and only logged.
func (c *call) fail(err error) events.APIGatewayProxyResponse {
	var ve *rules.ValidationError
	var fe *fieldsError
	switch {
	case errors.As(err, &ve):
		return c.resp.Invalid(ve.Fields)
	case errors.As(err, &fe):
		return c.resp.Invalid(fe.fields)
	case errors.Is(err, rules.ErrBadJSON):
		return c.resp.Error(http.StatusBadRequest, "bad_json", "the body must be a JSON object")
	case errors.Is(err, rules.ErrNotFound):
		return c.resp.Error(http.StatusNotFound, "not_found", "rule not found")
	case errors.Is(err, errPrecondition), errors.Is(err, rules.ErrConflict):
		return c.resp.Error(http.StatusPreconditionFailed, "precondition_failed",
			"the rule changed; GET it again and retry with its ETag in If-Match")
	case errors.Is(err, errLimit):
		return c.resp.Error(http.StatusConflict, "limit_reached",
			"a tenant may have at most 500 rules; delete some first")
	}
	c.err = err
	return c.resp.Error(http.StatusInternalServerError, "internal", "internal error")
}

// body returns the request body after checking its media type and size, or the answer
// that refuses it.
func (c *call) body(types ...string) ([]byte, *events.APIGatewayProxyResponse) {
	if ct := httpapi.Header(c.req, "Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !contains(types, mt) {
			out := c.resp.Error(http.StatusUnsupportedMediaType, "unsupported_media_type",
				"Content-Type must be one of: "+strings.Join(types, ", "))
			return nil, &out
		}
	}
	data := []byte(c.req.Body)
	if c.req.IsBase64Encoded {
		var err error
		if data, err = base64.StdEncoding.DecodeString(c.req.Body); err != nil {
			out := c.fail(rules.ErrBadJSON)
			return nil, &out
		}
	}
	if len(data) > maxBody {
		out := c.resp.Error(http.StatusRequestEntityTooLarge, "too_large",
			"the body is larger than 64 KiB")
		return nil, &out
	}
	return data, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// withETag answers with a body and the rule's ETag.
func (c *call) withETag(status int, body any, r rules.Rule) events.APIGatewayProxyResponse {
	return c.resp.JSON(status, body, map[string]string{"ETag": campaign.ETag(r.ID, r.Version)})
}
