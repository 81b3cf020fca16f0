package main

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/cursor"
	"github.com/adpulse/adpulse/shared/httpapi"
)

// get answers GET /v1/campaigns/{id}.
func (h *Handler) get(c *call) events.APIGatewayProxyResponse {
	cmp, err := h.Store.Get(c.ctx, c.who.TenantID, c.id)
	if err != nil {
		return c.fail(err)
	}
	return c.withETag(http.StatusOK, cmp, cmp)
}

// getTargeting answers GET /v1/campaigns/{id}/targeting; the ETag is the campaign's.
func (h *Handler) getTargeting(c *call) events.APIGatewayProxyResponse {
	cmp, err := h.Store.Get(c.ctx, c.who.TenantID, c.id)
	if err != nil {
		return c.fail(err)
	}
	return c.withETag(http.StatusOK, targetingOf(cmp), cmp)
}

// historyParams are the query parameters GET /v1/campaigns/{id}/history accepts.
var historyParams = map[string]bool{"limit": true}

// history answers GET /v1/campaigns/{id}/history?limit=N, newest entry first.
func (h *Handler) history(c *call) events.APIGatewayProxyResponse {
	params, fields := singleParams(c.req, historyParams, "a history parameter")
	limit, fe := limitParam(params["limit"])
	if fe != nil {
		fields = append(fields, *fe)
	}
	if len(fields) > 0 {
		sortFields(fields)
		return c.resp.Invalid(fields)
	}
	if _, err := h.Store.Get(c.ctx, c.who.TenantID, c.id); err != nil {
		return c.fail(err)
	}
	entries, err := h.Store.History(c.ctx, c.who.TenantID, c.id, limit)
	if err != nil {
		return c.fail(err)
	}
	return c.resp.JSON(http.StatusOK, map[string]any{"items": entries}, nil)
}

// listBody is the answer of GET /v1/campaigns.
type listBody struct {
	Items []campaign.Campaign `json:"items"`
	Links links               `json:"_links"`
}

type links struct {
	Self string `json:"self"`
	Next string `json:"next,omitempty"`
}

// listParams are the query parameters GET /v1/campaigns accepts.
var listParams = map[string]bool{"limit": true, "sort": true, "status": true,
	"brand_id": true, "channel": true, "cursor": true}

// list answers GET /v1/campaigns.
func (h *Handler) list(c *call) events.APIGatewayProxyResponse {
	params, fields := singleParams(c.req, listParams, "a list parameter")
	q, more := parseList(params)
	if fields = append(fields, more...); len(fields) > 0 {
		sortFields(fields)
		return c.resp.Invalid(fields)
	}
	scope := cursor.Scope(c.who.TenantID, q.Normalize())
	if tok := params["cursor"]; tok != "" {
		key, err := h.Cursors.Open(scope, tok)
		if err != nil {
			return c.resp.Problem(http.StatusBadRequest, httpapi.Problem{
				Code: "invalid_cursor", Message: "the cursor is not valid for this query",
				Fields: []httpapi.FieldError{{Field: "cursor",
					Reason: "does not belong to this query or caller"}}}, nil)
		}
		q.After = &campaign.Cursor{ID: key["id"], SortKey: key["k"]}
	}

	page, err := h.Store.List(c.ctx, c.who.TenantID, q)
	if err != nil {
		return c.fail(err)
	}
	body := listBody{Items: page.Items, Links: links{Self: listURL(q, params["cursor"])}}
	if body.Items == nil {
		body.Items = []campaign.Campaign{}
	}
	if page.Next != nil {
		tok, err := h.Cursors.Seal(scope, map[string]string{"id": page.Next.ID,
			"k": page.Next.SortKey})
		if err != nil {
			return c.fail(err)
		}
		body.Links.Next = listURL(q, tok)
	}
	return c.resp.JSON(http.StatusOK, body, nil)
}

// limitReason is why a limit is refused.
const limitReason = "must be an integer from 1 to 100"

// singleParams returns the request's query parameters, one value each, and the failing
// ones: a name that is not in accepted ("is not " + what), one given more than once, or
// an empty value. Repeats are seen in multiValueQueryStringParameters, which API
// Gateway sends along with queryStringParameters (which keeps only the last value).
func singleParams(req *events.APIGatewayProxyRequest, accepted map[string]bool,
	what string) (map[string]string, []httpapi.FieldError) {
	all := req.MultiValueQueryStringParameters
	if all == nil {
		all = map[string][]string{}
		for k, v := range req.QueryStringParameters {
			all[k] = []string{v}
		}
	}
	params := map[string]string{}
	var fields []httpapi.FieldError
	bad := func(name, reason string) {
		fields = append(fields, httpapi.FieldError{Field: name, Reason: reason})
	}
	for name, values := range all {
		switch {
		case !accepted[name]:
			bad(name, "is not "+what)
		case len(values) == 0:
		case len(values) > 1:
			bad(name, "must be given once")
		case values[0] == "" && name == "limit":
			bad(name, limitReason)
		case values[0] == "":
			bad(name, "must not be empty")
		default:
			params[name] = values[0]
		}
	}
	return params, fields
}

func sortFields(fields []httpapi.FieldError) {
	sort.Slice(fields, func(i, j int) bool { return fields[i].Field < fields[j].Field })
}

// parseList reads the list parameters (checked by singleParams), reporting every bad
// value.
func parseList(p map[string]string) (campaign.Query, []httpapi.FieldError) {
	q := campaign.Query{Sort: campaign.SortCreated, Descending: true,
		Status: campaign.Status(p["status"]), BrandID: p["brand_id"],
		Channel: campaign.Channel(p["channel"])}
	var fields []httpapi.FieldError
	limit, fe := limitParam(p["limit"])
	if fe != nil {
		fields = append(fields, *fe)
	}
	q.Limit = limit
	if s := p["sort"]; s != "" {
		q.Descending = strings.HasPrefix(s, "-")
		q.Sort = campaign.SortField(strings.TrimPrefix(s, "-"))
		if q.Sort != campaign.SortCreated && q.Sort != campaign.SortUpdated &&
			q.Sort != campaign.SortName {
			fields = append(fields, httpapi.FieldError{Field: "sort", Reason: "must be one of: " +
				"created_at, updated_at, name, optionally prefixed with - for descending"})
		}
	}
	if q.Status != "" && !q.Status.Valid() {
		fields = append(fields, httpapi.FieldError{Field: "status",
			Reason: "must be one of: draft, active, paused, completed, archived"})
	}
	switch q.Channel {
	case "", campaign.Display, campaign.Social, campaign.Search, campaign.Video:
	default:
		fields = append(fields, httpapi.FieldError{Field: "channel",
			Reason: "must be one of: display, social, search, video"})
	}
	if len(q.BrandID) > 64 {
		fields = append(fields, httpapi.FieldError{Field: "brand_id",
			Reason: "must have at most 64 characters"})
	}
	return q, fields
}

// limitParam reads a limit of 1 to 100, default 20 when there is none.
func limitParam(s string) (int, *httpapi.FieldError) {
	if s == "" {
		return 20, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 100 {
		return 20, &httpapi.FieldError{Field: "limit", Reason: limitReason}
	}
	return n, nil
}

// listURL is the path of a list page with the query in canonical form.
func listURL(q campaign.Query, tok string) string {
	v := url.Values{}
	v.Set("limit", strconv.Itoa(q.Limit))
	sort := string(q.Sort)
	if q.Descending {
		sort = "-" + sort
	}
	v.Set("sort", sort)
	for k, val := range map[string]string{"status": string(q.Status), "brand_id": q.BrandID,
		"channel": string(q.Channel), "cursor": tok} {
		if val != "" {
			v.Set(k, val)
		}
	}
	return "/v1/campaigns?" + v.Encode()
}
