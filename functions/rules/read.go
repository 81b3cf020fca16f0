package main

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/shared/httpapi"
	"github.com/adpulse/adpulse/shared/rules"
)

// get answers GET /v1/rules/{id}.
func (h *Handler) get(c *call) events.APIGatewayProxyResponse {
	r, err := h.Rules.Get(c.ctx, c.who.TenantID, c.id)
	if err != nil {
		return c.fail(err)
	}
	return c.withETag(http.StatusOK, r.Public(), r)
}

// list answers GET /v1/rules[?campaign_id=]: every rule of the tenant, oldest first;
// with campaign_id, the rules that watch that campaign (its own and tenant-wide ones).
func (h *Handler) list(c *call) events.APIGatewayProxyResponse {
	var fields []httpapi.FieldError
	for k := range c.req.QueryStringParameters {
		if k != "campaign_id" {
			fields = append(fields, httpapi.FieldError{Field: k,
				Reason: "is not a list parameter"})
		}
	}
	if len(fields) > 0 {
		return c.resp.Invalid(sorted(fields))
	}
	all, err := h.Rules.List(c.ctx, c.who.TenantID)
	if err != nil {
		return c.fail(err)
	}
	items := []rules.Rule{}
	cmp := c.req.QueryStringParameters["campaign_id"]
	for _, r := range all {
		if cmp == "" || r.Watches(cmp) {
			items = append(items, r.Public())
		}
	}
	return c.resp.JSON(http.StatusOK, map[string]any{"items": items}, nil)
}

// deliveries answers GET /v1/rules/{id}/deliveries?limit=&cursor=: the delivery log,
// newest first, with a next link while there is more.
func (h *Handler) deliveries(c *call) events.APIGatewayProxyResponse {
	q := c.req.QueryStringParameters
	limit := 50
	var fields []httpapi.FieldError
	for k, v := range q {
		switch k {
		case "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 100 {
				fields = append(fields, httpapi.FieldError{Field: "limit",
					Reason: "must be an integer from 1 to 100"})
			}
			limit = n
		case "cursor":
		default:
			fields = append(fields, httpapi.FieldError{Field: k,
				Reason: "is not a parameter of this list"})
		}
	}
	if len(fields) > 0 {
		return c.resp.Invalid(sorted(fields))
	}
	if _, err := h.Rules.Get(c.ctx, c.who.TenantID, c.id); err != nil {
		return c.fail(err)
	}
	items, next, err := h.Rules.Deliveries(c.ctx, c.who.TenantID, c.id, limit, q["cursor"])
	if errors.Is(err, rules.ErrBadCursor) {
		return c.resp.Invalid([]httpapi.FieldError{{Field: "cursor",
			Reason: "is not a cursor of this list"}})
	}
	if err != nil {
		return c.fail(err)
	}
	if items == nil {
		items = []rules.Delivery{}
	}
	base := "/v1/rules/" + c.id + "/deliveries?limit=" + strconv.Itoa(limit)
	links := map[string]string{"self": base}
	if cur := q["cursor"]; cur != "" {
		links["self"] = base + "&cursor=" + url.QueryEscape(cur)
	}
	if next != "" {
		links["next"] = base + "&cursor=" + url.QueryEscape(next)
	}
	return c.resp.JSON(http.StatusOK, map[string]any{"items": items, "_links": links}, nil)
}
