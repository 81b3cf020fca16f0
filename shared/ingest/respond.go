package ingest

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// isBatch tells the batch route from the single-event route; ok is false for any other.
func isBatch(req *events.APIGatewayProxyRequest) (batch, ok bool) {
	switch strings.TrimSuffix(route(req), "/") {
	case "/v1/events":
		return false, true
	case "/v1/events/batch":
		return true, true
	}
	return false, false
}

// route is the API resource of the request; the path serves when no resource is given.
func route(req *events.APIGatewayProxyRequest) string {
	if req.Resource != "" {
		return req.Resource
	}
	return req.Path
}

// statusOf picks the status of an answer: 202 when anything was accepted, otherwise 503
// if any event may be sent again as it is, otherwise 400.
func statusOf(res Result) int {
	if res.Accepted > 0 {
		return http.StatusAccepted
	}
	for _, e := range res.Errors {
		if e.Retryable {
			return http.StatusServiceUnavailable
		}
	}
	return http.StatusBadRequest
}

func sortErrors(errs []EventError) {
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Index < errs[j].Index })
}

// peekEventID returns the event_id of an event that failed validation, if it has one.
func peekEventID(raw json.RawMessage) string {
	var probe struct {
		EventID any `json:"event_id"`
	}
	if json.Unmarshal(raw, &probe) != nil {
		return ""
	}
	s, _ := probe.EventID.(string)
	if len(s) > 128 {
		s = s[:128]
	}
	return s
}
