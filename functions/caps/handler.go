package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/capping"
	"github.com/adpulse/adpulse/shared/httpapi"
	"github.com/adpulse/adpulse/shared/principal"
)

// Handler serves the cap routes.
type Handler struct {
	Caps      *capping.Dynamo
	Campaigns *campaign.Store
	Origins   []string
	Log       *slog.Logger
}

const (
	campaignCaps = "/v1/campaigns/{id}/caps"
	adCaps       = "/v1/campaigns/{id}/ads/{ad}/caps"
	maxBody      = 16 << 10
)

var (
	campaignIDRE = regexp.MustCompile(`^cmp_[0-9A-HJKMNP-TV-Z]{26}$`)
	adIDRE       = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)
)

// Handle answers one proxy request and logs one outcome line.
func (h *Handler) Handle(ctx context.Context,
	req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	start := time.Now()
	resp := httpapi.NewResponder(&req, h.Origins)
	id, ad := req.PathParameters["id"], req.PathParameters["ad"]
	var who principal.Principal
	var internal error
	out := h.serve(ctx, &req, resp, &who, &internal)

	attrs := []any{"method", req.HTTPMethod, "resource", req.Resource,
		"status", out.StatusCode, "tenant", who.TenantID, "user", who.UserID,
		"campaignId", id, "adId", ad, "apiRequestId", req.RequestContext.RequestID,
		"durationMs", time.Since(start).Milliseconds()}
	if internal != nil {
		h.Log.ErrorContext(ctx, "caps request failed", append(attrs, "err", internal)...)
	} else {
		h.Log.InfoContext(ctx, "caps request", attrs...)
	}
	return out, nil
}

func (h *Handler) serve(ctx context.Context, req *events.APIGatewayProxyRequest,
	resp httpapi.Responder, who *principal.Principal,
	internal *error) events.APIGatewayProxyResponse {
	fail := func(err error) events.APIGatewayProxyResponse {
		*internal = err
		return resp.Error(http.StatusInternalServerError, "internal", "internal error")
	}
	if req.Resource != campaignCaps && req.Resource != adCaps {
		return resp.Error(http.StatusNotFound, "not_found", "no such route")
	}
	if req.HTTPMethod == http.MethodOptions {
		return resp.Preflight("GET, PUT")
	}
	if req.HTTPMethod != http.MethodGet && req.HTTPMethod != http.MethodPut {
		return resp.Problem(http.StatusMethodNotAllowed, httpapi.Problem{
			Code: "method_not_allowed", Message: "method not allowed on this resource"},
			map[string]string{"Allow": "GET, PUT"})
	}

	// Who is calling, may they, and is the campaign theirs?
	p, err := principal.FromRequest(req)
	if err != nil {
		return fail(err)
	}
	*who = p
	action := principal.WriteCampaigns
	if req.HTTPMethod == http.MethodGet {
		action = principal.ReadCampaigns
	}
	if reason := p.Forbidden(action); reason != "" {
		return resp.Error(http.StatusForbidden, "forbidden", reason)
	}
	id, ad := req.PathParameters["id"], req.PathParameters["ad"]
	if !campaignIDRE.MatchString(id) {
		return resp.Error(http.StatusNotFound, "not_found", "campaign not found")
	}
	if req.Resource == adCaps && !adIDRE.MatchString(ad) {
		return resp.Invalid([]httpapi.FieldError{{Field: "ad",
			Reason: "1 to 128 letters, digits and . _ : -"}})
	}
	if _, err := h.Campaigns.Get(ctx, p.TenantID, id); errors.Is(err, campaign.ErrNotFound) {
		return resp.Error(http.StatusNotFound, "not_found", "campaign not found")
	} else if err != nil {
		return fail(err)
	}

	// Read or replace the caps.
	var body any
	if req.HTTPMethod == http.MethodGet {
		body, err = h.get(ctx, p.TenantID, id, ad)
	} else {
		var fields []httpapi.FieldError
		body, fields, err = h.put(ctx, req, p.TenantID, id, ad)
		if fields != nil {
			return resp.Invalid(fields)
		}
	}
	if errors.Is(err, errBadJSON) {
		return resp.Error(http.StatusBadRequest, "bad_json",
			"the body must be a JSON object of at most 16 KiB with caps")
	}
	if err != nil {
		return fail(err)
	}
	return resp.JSON(http.StatusOK, body, nil)
}

var errBadJSON = errors.New("bad JSON body")

func (h *Handler) get(ctx context.Context, tenant, id, ad string) (any, error) {
	if ad != "" {
		return h.Caps.GetAdCaps(ctx, tenant, id, ad)
	}
	return h.Caps.GetCampaignCaps(ctx, tenant, id)
}

func (h *Handler) put(ctx context.Context, req *events.APIGatewayProxyRequest, tenant, id,
	ad string) (any, []httpapi.FieldError, error) {
	data, err := httpapi.Body(req)
	if err != nil || len(data) > maxBody {
		return nil, nil, errBadJSON
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if ad != "" {
		var in capping.AdCaps
		if err := dec.Decode(&in); err != nil {
			return nil, nil, errBadJSON
		}
		if fields := in.Validate(); len(fields) > 0 {
			return nil, fields, nil
		}
		return in, nil, h.Caps.PutAdCaps(ctx, tenant, id, ad, in)
	}
	var in capping.CampaignCaps
	if err := dec.Decode(&in); err != nil {
		return nil, nil, errBadJSON
	}
	if fields := in.Validate(); len(fields) > 0 {
		return nil, fields, nil
	}
	if in.NoIdentifier == "" {
		in.NoIdentifier = capping.UncappedOnly
	}
	return in, nil, h.Caps.PutCampaignCaps(ctx, tenant, id, in)
}
