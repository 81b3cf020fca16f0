package main

import (
	"context"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/httpapi"
	"github.com/adpulse/adpulse/shared/principal"
	"github.com/adpulse/adpulse/shared/report"
)

// Handler serves the report routes.
type Handler struct {
	Reports *report.Reporter
	Origins []string // CORS allow-list
	Log     *slog.Logger
}

// The resources (API Gateway's templates) this function serves, GET only.
const (
	campaignReport = "/v1/campaigns/{id}/reports"
	topCampaigns   = "/v1/reports/campaigns"
)

// call is one request on its way through the handler.
type call struct {
	ctx    context.Context
	req    *events.APIGatewayProxyRequest
	resp   httpapi.Responder
	who    principal.Principal
	id     string // the campaign id of the path, if any
	format string // json or csv
	rows   int    // rows answered, for the log line
	err    error  // an internal error, logged and never shown
}

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
		"campaignId", c.id, "format", c.format, "rows", c.rows,
		"apiRequestId", req.RequestContext.RequestID,
		"durationMs", time.Since(start).Milliseconds()}
	if c.err != nil {
		h.Log.ErrorContext(ctx, "reports request failed", append(attrs, "err", c.err)...)
	} else {
		h.Log.InfoContext(ctx, "reports request", attrs...)
	}
	return out, nil
}

func (h *Handler) serve(c *call) events.APIGatewayProxyResponse {
	var fn func(*call) events.APIGatewayProxyResponse
	switch c.req.Resource {
	case campaignReport:
		fn = h.campaign
	case topCampaigns:
		fn = h.top
	default:
		return c.resp.Error(http.StatusNotFound, "not_found", "no such route")
	}
	switch c.req.HTTPMethod {
	case http.MethodGet:
	case http.MethodOptions:
		return c.resp.Preflight("GET")
	default:
		return c.resp.Problem(http.StatusMethodNotAllowed, httpapi.Problem{
			Code: "method_not_allowed", Message: "method not allowed on this resource"},
			map[string]string{"Allow": "GET"})
	}

	// Who is calling and may they read reports?
	who, err := principal.FromRequest(c.req)
	if err != nil {
		c.err = err
		return c.resp.Error(http.StatusInternalServerError, "internal", "internal error")
	}
	c.who = who
	if reason := who.Forbidden(principal.ReadReports); reason != "" {
		return c.resp.Error(http.StatusForbidden, "forbidden", reason)
	}
	if c.format, err = formatOf(c.req); err != nil {
		return c.resp.Invalid([]httpapi.FieldError{{Field: "format",
			Reason: "must be json or csv"}})
	}
	return fn(c)
}

// params are the query parameters each route accepts.
var params = map[string]map[string]bool{
	campaignReport: {"start": true, "end": true, "granularity": true, "tz": true,
		"format": true},
	topCampaigns: {"start": true, "end": true, "status": true, "sort": true, "limit": true,
		"tz": true, "format": true, "reach": true},
}

// unknownParams lists the query parameters the route does not take.
func unknownParams(c *call) []httpapi.FieldError {
	var out []httpapi.FieldError
	for k := range c.req.QueryStringParameters {
		if !params[c.req.Resource][k] {
			out = append(out, httpapi.FieldError{Field: k, Reason: "is not a parameter of " +
				"this report"})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// campaign answers GET /v1/campaigns/{id}/reports.
func (h *Handler) campaign(c *call) events.APIGatewayProxyResponse {
	if !idRE.MatchString(c.id) {
		return c.resp.Error(http.StatusNotFound, "not_found", "campaign not found")
	}
	if bad := unknownParams(c); len(bad) > 0 {
		return c.resp.Invalid(bad)
	}
	q := c.req.QueryStringParameters
	rep, err := h.Reports.Campaign(c.ctx, c.who.TenantID, c.id, report.RangeParams{
		Start: q["start"], End: q["end"], Granularity: q["granularity"], TZ: q["tz"]})
	if err != nil {
		return c.fail(err)
	}
	c.rows = len(rep.Rows)
	if c.format == "csv" {
		var body strings.Builder
		if err := report.WriteCampaignCSV(&body, rep); err != nil {
			return c.fail(err)
		}
		return c.csv(body.String(), rep.CampaignID+"-"+string(rep.Granularity)+".csv")
	}
	return c.resp.JSON(http.StatusOK, rep, nil)
}

// top answers GET /v1/reports/campaigns.
func (h *Handler) top(c *call) events.APIGatewayProxyResponse {
	if bad := unknownParams(c); len(bad) > 0 {
		return c.resp.Invalid(bad)
	}
	p := c.req.QueryStringParameters
	reach := p["reach"]
	if reach != "" && reach != "true" && reach != "false" {
		return c.resp.Invalid([]httpapi.FieldError{{Field: "reach",
			Reason: "must be true or false"}})
	}
	q, err := report.ParseTop(report.TopParams{Start: p["start"], End: p["end"], TZ: p["tz"],
		Status: p["status"], Sort: p["sort"], Limit: p["limit"], NoReach: reach == "false"})
	if err != nil {
		return c.fail(err)
	}
	rk, err := h.Reports.Top(c.ctx, c.who.TenantID, q)
	if err != nil {
		return c.fail(err)
	}
	c.rows = len(rk.Items)
	if c.format == "csv" {
		var body strings.Builder
		if err := report.WriteRankingCSV(&body, rk); err != nil {
			return c.fail(err)
		}
		return c.csv(body.String(), "campaigns.csv")
	}
	return c.resp.JSON(http.StatusOK, rk, nil)
}

// csv answers 200 with a CSV body and the usual headers.
func (c *call) csv(body, filename string) events.APIGatewayProxyResponse {
	out := c.resp.JSON(http.StatusOK, nil, map[string]string{
		"Content-Type":        "text/csv; charset=utf-8; header=present",
		"Content-Disposition": `attachment; filename="` + filename + `"`,
	})
	out.Body = body
	return out
}

// fail maps an error to its answer; anything unknown is internal and only logged.
func (c *call) fail(err error) events.APIGatewayProxyResponse {
	var ie *report.InputError
	switch {
	case errors.As(err, &ie):
		fields := make([]httpapi.FieldError, len(ie.Fields))
		for i, f := range ie.Fields {
			fields[i] = httpapi.FieldError{Field: f.Field, Reason: f.Reason}
		}
		return c.resp.Problem(http.StatusBadRequest, httpapi.Problem{Code: "validation_failed",
			Message: "the report cannot be made as asked", Fields: fields}, nil)
	case errors.Is(err, campaign.ErrNotFound):
		return c.resp.Error(http.StatusNotFound, "not_found", "campaign not found")
	}
	c.err = err
	return c.resp.Error(http.StatusInternalServerError, "internal", "internal error")
}

// formatOf picks the answer's format: format=csv|json wins, else an Accept header
// naming text/csv (and not preferring JSON before it) asks for CSV.
func formatOf(req *events.APIGatewayProxyRequest) (string, error) {
	switch f := req.QueryStringParameters["format"]; f {
	case "json", "csv":
		return f, nil
	case "":
	default:
		return "", errors.New("unknown format")
	}
	for _, part := range strings.Split(httpapi.Header(req, "Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "text/csv":
			return "csv", nil
		case "application/json":
			return "json", nil
		}
	}
	return "json", nil
}
