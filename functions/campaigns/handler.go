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
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/cursor"
	"github.com/adpulse/adpulse/shared/httpapi"
	"github.com/adpulse/adpulse/shared/principal"
)

// Handler serves the campaign routes.
type Handler struct {
	Store   *campaign.Store
	Cursors *cursor.Signer
	Origins []string // CORS allow-list
	Log     *slog.Logger
	retry   retryPolicy // of writes that lose a race; zero means defaultRetry
}

// call is one request on its way through the handler.
type call struct {
	ctx  context.Context
	req  *events.APIGatewayProxyRequest
	resp httpapi.Responder
	who  principal.Principal
	id   string // the campaign id of the path, if any
	err  error  // an internal error, logged and never shown
}

// Errors of the HTTP layer.
var (
	errPrecondition = errors.New("If-Match does not match the current ETag")
	errArchived     = errors.New("archived campaigns cannot change")
	errContention   = errors.New("too many concurrent writes to the campaign")
)

// maxBody bounds request bodies; a campaign is a few kilobytes.
const maxBody = 64 << 10

var idRE = regexp.MustCompile(`^cmp_[0-9A-HJKMNP-TV-Z]{26}$`)

// Handle answers one proxy request and logs one outcome line for it.
func (h *Handler) Handle(ctx context.Context,
	req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	start := time.Now()
	c := &call{ctx: ctx, req: &req, resp: httpapi.NewResponder(&req, h.Origins),
		id: req.PathParameters["id"]}
	out := h.serve(c)

	attrs := []any{"method", req.HTTPMethod, "resource", req.Resource,
		"status", out.StatusCode, "tenant", c.who.TenantID, "user", c.who.UserID,
		"campaignId", c.id, "apiRequestId", req.RequestContext.RequestID,
		"durationMs", time.Since(start).Milliseconds()}
	if c.err != nil {
		h.Log.ErrorContext(ctx, "campaigns request failed", append(attrs, "err", c.err)...)
	} else {
		h.Log.InfoContext(ctx, "campaigns request", attrs...)
	}
	return out, nil
}

// route answers one method of one resource.
type route func(*call) events.APIGatewayProxyResponse

// routes maps each resource (API Gateway's template) to its methods.
func (h *Handler) routes() map[string]map[string]route {
	return map[string]map[string]route{
		"/v1/campaigns": {http.MethodPost: h.create, http.MethodGet: h.list},
		"/v1/campaigns/{id}": {http.MethodGet: h.get, http.MethodPut: h.replace,
			http.MethodPatch: h.patch, http.MethodDelete: h.archive},
		"/v1/campaigns/{id}/status": {http.MethodPatch: h.setStatus},
		"/v1/campaigns/{id}/targeting": {http.MethodGet: h.getTargeting,
			http.MethodPut: h.putTargeting},
		"/v1/campaigns/{id}/history": {http.MethodGet: h.history},
	}
}

func (h *Handler) serve(c *call) events.APIGatewayProxyResponse {
	methods, ok := h.routes()[c.req.Resource]
	if !ok {
		return c.resp.Error(http.StatusNotFound, "not_found", "no such route")
	}
	if c.req.HTTPMethod == http.MethodOptions {
		return h.preflight(c, methods)
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
	action := principal.WriteCampaigns
	if c.req.HTTPMethod == http.MethodGet {
		action = principal.ReadCampaigns
	}
	if reason := who.Forbidden(action); reason != "" {
		return c.resp.Error(http.StatusForbidden, "forbidden", reason)
	}
	if strings.Contains(c.req.Resource, "{id}") && !idRE.MatchString(c.id) {
		return c.resp.Error(http.StatusNotFound, "not_found", "campaign not found")
	}
	return fn(c)
}

// preflight answers a CORS preflight; the CORS headers appear only for allowed origins.
func (h *Handler) preflight(c *call, methods map[string]route) events.APIGatewayProxyResponse {
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
	var ve *campaign.ValidationError
	var te *campaign.TransitionError
	switch {
	case errors.As(err, &ve):
		return c.resp.Invalid(ve.Fields)
	case errors.As(err, &te):
		allowed := make([]string, len(te.Allowed))
		for i, s := range te.Allowed {
			allowed[i] = string(s)
		}
		return c.resp.Problem(http.StatusConflict, httpapi.Problem{Code: "illegal_transition",
			Message: te.Error(), Allowed: allowed}, nil)
	case errors.Is(err, campaign.ErrInvalidUTF8):
		return c.resp.Error(http.StatusBadRequest, "bad_json", "the body must be valid UTF-8")
	case errors.Is(err, campaign.ErrBadJSON):
		return c.resp.Error(http.StatusBadRequest, "bad_json", "the body must be a JSON object")
	case errors.Is(err, campaign.ErrNotFound):
		return c.resp.Error(http.StatusNotFound, "not_found", "campaign not found")
	case errors.Is(err, errPrecondition), errors.Is(err, campaign.ErrVersionConflict):
		return c.resp.Error(http.StatusPreconditionFailed, "precondition_failed",
			"the campaign changed; GET it again and retry with its ETag in If-Match")
	case errors.Is(err, errContention):
		return c.resp.Error(http.StatusConflict, "conflict",
			"too many concurrent writes to this campaign; retry the request")
	case errors.Is(err, errArchived):
		return c.resp.Problem(http.StatusConflict, httpapi.Problem{Code: "archived",
			Message: "an archived campaign cannot change", Allowed: []string{}}, nil)
	}
	c.err = err
	return c.resp.Error(http.StatusInternalServerError, "internal", "internal error")
}

// body returns the request body after checking its media type, size and encoding
// (UTF-8), or the answer that refuses it.
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
			out := c.fail(campaign.ErrBadJSON)
			return nil, &out
		}
	}
	if len(data) > maxBody {
		out := c.resp.Error(http.StatusRequestEntityTooLarge, "too_large",
			"the body is larger than 64 KiB")
		return nil, &out
	}
	if !utf8.Valid(data) { // Go's decoder would store U+FFFD in place of the bad bytes
		out := c.fail(campaign.ErrInvalidUTF8)
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

// withETag answers 200 (or status) with a body and the campaign's ETag.
func (c *call) withETag(status int, body any,
	cmp campaign.Campaign) events.APIGatewayProxyResponse {
	etag := campaign.ETag(cmp.ID, cmp.Version)
	return c.resp.JSON(status, body, map[string]string{"ETag": etag})
}
