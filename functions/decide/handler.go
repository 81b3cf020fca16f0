package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/shared/apikey"
	"github.com/adpulse/adpulse/shared/capping"
	"github.com/adpulse/adpulse/shared/httpapi"
	"github.com/adpulse/adpulse/shared/metrics"
)

// KeyLookup resolves a presented API key to its tenant.
type KeyLookup interface {
	Lookup(ctx context.Context, key string) (apikey.Key, error)
}

// Handler serves POST /v1/decisions/frequency.
type Handler struct {
	Keys    KeyLookup
	Decider *capping.Decider
	Log     *slog.Logger
}

// maxBody bounds the request body: 50 candidates and 4 identifiers fit in a few KB.
const maxBody = 32 << 10

// response is the answer body.
type response struct {
	Decisions []capping.Decision `json:"decisions"`
}

// Handle answers one request and logs one outcome line.
func (h *Handler) Handle(ctx context.Context,
	req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	start := time.Now()
	var tenant string
	var st capping.Stats
	var internal error
	resp := httpapi.NewResponder(&req, nil)
	out := func() events.APIGatewayProxyResponse {
		if req.Resource != "/v1/decisions/frequency" {
			return resp.Error(http.StatusNotFound, "not_found", "no such route")
		}
		if req.HTTPMethod != http.MethodPost {
			return resp.Problem(http.StatusMethodNotAllowed, httpapi.Problem{
				Code: "method_not_allowed", Message: "use POST"},
				map[string]string{"Allow": http.MethodPost})
		}

		// Which tenant is asking?
		key, err := httpapi.APIKey(&req)
		if err != nil {
			return resp.Error(http.StatusUnauthorized, "unauthorized", err.Error())
		}
		if key == "" {
			return resp.Error(http.StatusUnauthorized, "unauthorized",
				"missing API key: send it in the x-api-key header")
		}
		rec, err := h.Keys.Lookup(ctx, key)
		if errors.Is(err, apikey.ErrUnknownKey) {
			return resp.Error(http.StatusUnauthorized, "unauthorized", "unknown API key")
		}
		if err != nil {
			internal = err
			return resp.Error(http.StatusServiceUnavailable, "unavailable",
				"the key could not be checked; retry")
		}
		tenant = rec.TenantID

		// Read and check the request, then decide.
		body, err := httpapi.Body(&req)
		if err != nil || len(body) > maxBody {
			return resp.Error(http.StatusBadRequest, "bad_body",
				"the body must be a JSON object of at most 32 KiB")
		}
		var in capping.Request
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return resp.Problem(http.StatusBadRequest, httpapi.Problem{Code: "bad_json",
				Message: "the body is not a valid decision request: " + jsonReason(err)}, nil)
		}
		if fields := in.Validate(); len(fields) > 0 {
			return resp.Invalid(fields)
		}
		var decisions []capping.Decision
		decisions, st = h.Decider.Decide(ctx, tenant, &in)
		recordDecisions(ctx, decisions)
		return resp.JSON(http.StatusOK, response{Decisions: decisions}, nil)
	}()

	attrs := []any{"status", out.StatusCode, "tenant", tenant, "capped", st.Capped,
		"denied", st.Denied, "keys", st.Keys, "counterReads", st.Refs,
		"apiRequestId", req.RequestContext.RequestID,
		"durationMs", time.Since(start).Milliseconds()}
	switch {
	case internal != nil:
		h.Log.ErrorContext(ctx, "decision failed", append(attrs, "err", internal)...)
	case st.Err != nil:
		h.Log.WarnContext(ctx, "decision failed closed", append(attrs, "err", st.Err)...)
	default:
		h.Log.InfoContext(ctx, "decision", attrs...)
	}
	return out, nil
}

// jsonReason says what is wrong with a body without echoing it.
func jsonReason(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return typeErr.Field + " has the wrong type"
	}
	if strings.HasPrefix(err.Error(), "json: unknown field") {
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return "malformed JSON"
}

// recordDecisions counts the answers in EMF: DecisionsAllowed, and DecisionsCapped by the
// refusal's reason (capped, no_identifier, unavailable).
func recordDecisions(ctx context.Context, decisions []capping.Decision) {
	m := metrics.From(ctx)
	if m == nil {
		return
	}
	allowed := 0
	for _, d := range decisions {
		if d.Allowed {
			allowed++
			continue
		}
		m.Count("DecisionsCapped", 1, metrics.Dim("Reason", d.Reason))
	}
	m.Count("DecisionsAllowed", float64(allowed))
}
