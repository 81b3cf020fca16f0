package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/shared/apikey"
	"github.com/adpulse/adpulse/shared/event"
	"github.com/adpulse/adpulse/shared/httpapi"
	"github.com/adpulse/adpulse/shared/metrics"
)

// KeyLookup resolves a presented API key to its tenant.
type KeyLookup interface {
	Lookup(ctx context.Context, key string) (apikey.Key, error)
}

// RecordPublisher writes packed records and says, per record, why it was refused (nil if
// it was taken).
type RecordPublisher interface {
	Publish(ctx context.Context, recs []event.Packed) []error
}

// Handler answers POST /v1/events and POST /v1/events/batch.
type Handler struct {
	Keys      KeyLookup
	Publisher RecordPublisher
	Salts     int
	Codec     event.Codec // how records are encoded; the zero value is event.CodecS2
	Now       func() time.Time
	Log       *slog.Logger
}

// Result is the answer to an ingest request.
type Result struct {
	Accepted  int          `json:"accepted"`
	Rejected  int          `json:"rejected"`
	Errors    []EventError `json:"errors,omitempty"`
	RequestID string       `json:"request_id,omitempty"`
}

// EventError says why one event of a request was not accepted. Retryable errors were
// not the event's fault (the stream refused it); the sender may send it again as it is.
type EventError struct {
	Index     int    `json:"index"`
	EventID   string `json:"event_id,omitempty"`
	Field     string `json:"field,omitempty"`
	Reason    string `json:"reason"`
	Retryable bool   `json:"retryable,omitempty"`
}

// outcome is what one invocation did, for its log line.
type outcome struct {
	status   int
	code     string // machine-readable reason of a refused request
	tenant   string
	result   Result
	records  int
	problem  string
	cause    error // what lies behind a refusal, for the log only
	internal error
}

// Handle serves one API Gateway proxy request.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayProxyRequest) (
	events.APIGatewayProxyResponse, error) {
	start := time.Now()
	out := h.serve(ctx, &req)
	recordMetrics(ctx, &out)

	attrs := []any{
		slog.Int("status", out.status), slog.String("route", route(&req)),
		slog.String("tenant", out.tenant), slog.Int("accepted", out.result.Accepted),
		slog.Int("rejected", out.result.Rejected), slog.Int("records", out.records),
		slog.Int64("ms", time.Since(start).Milliseconds()),
	}
	switch {
	case out.internal != nil:
		h.Log.ErrorContext(ctx, "ingest failed", append(attrs, slog.Any("err", out.internal))...)
	case out.problem != "":
		attrs = append(attrs, slog.String("why", out.problem))
		if out.cause != nil {
			attrs = append(attrs, slog.Any("cause", out.cause))
		}
		h.Log.InfoContext(ctx, "ingest refused", attrs...)
	default:
		h.Log.InfoContext(ctx, "ingest done", attrs...)
	}

	r := httpapi.NewResponder(&req, nil)
	var extra map[string]string
	if out.status == http.StatusServiceUnavailable {
		extra = map[string]string{"Retry-After": "1"}
	}
	if out.problem != "" {
		return r.Problem(out.status, httpapi.Problem{Code: out.code, Message: out.problem},
			extra), nil
	}
	out.result.RequestID = r.RequestID
	return r.JSON(out.status, out.result, extra), nil
}

func (h *Handler) serve(ctx context.Context, req *events.APIGatewayProxyRequest) outcome {
	// Route and method first: they need nothing from the body.
	batch, ok := isBatch(req)
	if !ok {
		return outcome{status: http.StatusNotFound, code: "not_found",
			problem: "no such route: " + route(req)}
	}
	if req.HTTPMethod != http.MethodPost {
		return outcome{status: http.StatusMethodNotAllowed, code: "method_not_allowed",
			problem: "use POST"}
	}

	// The key is checked before anything of the body is read.
	key, err := httpapi.APIKey(req)
	if err != nil {
		return outcome{status: http.StatusUnauthorized, code: "unauthorized",
			problem: err.Error()}
	}
	if key == "" {
		return outcome{status: http.StatusUnauthorized, code: "unauthorized",
			problem: "missing API key: send it in the x-api-key header"}
	}
	rec, err := h.Keys.Lookup(ctx, key)
	if errors.Is(err, apikey.ErrUnknownKey) {
		return outcome{status: http.StatusUnauthorized, code: "unauthorized",
			problem: "unknown or revoked API key"}
	}
	if err != nil {
		return outcome{status: http.StatusServiceUnavailable, code: "unavailable",
			problem: "cannot check the API key now, retry", internal: err}
	}

	out := h.ingest(ctx, req, rec.TenantID, batch)
	out.tenant = rec.TenantID
	return out
}

func (h *Handler) ingest(ctx context.Context, req *events.APIGatewayProxyRequest,
	tenant string, batch bool) outcome {
	body, err := readBody(req)
	switch {
	case errors.Is(err, errTooLarge):
		return outcome{status: http.StatusRequestEntityTooLarge, code: "payload_too_large",
			problem: "body is larger than 1 MB (1048576 bytes) after decoding"}
	case errors.Is(err, errUnsupportedType), errors.Is(err, errUnsupportedCharset):
		return outcome{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
			problem: err.Error()}
	case err != nil:
		return outcome{status: http.StatusBadRequest, code: "bad_request", problem: err.Error(),
			cause: errors.Unwrap(err)}
	}

	raws := []json.RawMessage{body}
	if batch {
		raws, err = event.SplitBatch(body)
		if err != nil {
			return outcome{status: http.StatusBadRequest, code: "bad_request",
				problem: err.Error()}
		}
	}

	valid, positions, result := h.decodeAll(raws)
	records := 0
	if len(valid) > 0 {
		records = h.publish(ctx, tenant, valid, positions, &result)
	}
	return outcome{status: statusOf(result), result: result, records: records}
}

// decodeAll validates each event on its own; positions maps valid events back to their
// index in the request.
func (h *Handler) decodeAll(raws []json.RawMessage) ([]event.Event, []int, Result) {
	now := h.Now()
	valid := make([]event.Event, 0, len(raws))
	positions := make([]int, 0, len(raws))
	var res Result
	for i, raw := range raws {
		e, err := event.Decode(raw, now)
		if err != nil {
			var fe *event.FieldError
			errors.As(err, &fe)
			res.Errors = append(res.Errors, EventError{
				Index: i, EventID: peekEventID(raw), Field: fe.Field, Reason: fe.Reason,
			})
			continue
		}
		valid = append(valid, e)
		positions = append(positions, i)
	}
	res.Rejected = len(res.Errors)
	return valid, positions, res
}

// publish packs and writes the valid events and records which were taken.
func (h *Handler) publish(ctx context.Context, tenant string, valid []event.Event,
	positions []int, res *Result) int {
	recs, err := event.PackWith(tenant, valid, h.Salts, h.Now(), h.Codec)
	if err != nil {
		// Valid events always encode; reaching this is a bug, so nothing is acknowledged.
		for _, p := range positions {
			res.Errors = append(res.Errors, EventError{Index: p, Reason: "internal error",
				Retryable: true})
		}
		res.Rejected += len(positions)
		return 0
	}

	errs := h.Publisher.Publish(ctx, recs)
	for r, perr := range errs {
		if perr == nil {
			res.Accepted += len(recs[r].Indexes)
			continue
		}
		h.Log.WarnContext(ctx, "record not taken by the stream", slog.Any("err", perr))
		for _, vi := range recs[r].Indexes {
			res.Errors = append(res.Errors, EventError{
				Index: positions[vi], EventID: valid[vi].EventID,
				Reason:    "the stream did not take the event in time; send it again",
				Retryable: true,
			})
			res.Rejected++
		}
	}
	sortErrors(res.Errors)
	return len(recs)
}

// recordMetrics counts the invocation's events in EMF: EventsAccepted, EventsRejected by
// reason (invalid: the event failed validation; stream: the stream did not take it;
// internal), and RequestsRefused by the refusal's code when no event was looked at.
func recordMetrics(ctx context.Context, out *outcome) {
	m := metrics.From(ctx)
	if out.problem != "" {
		m.Count("RequestsRefused", 1, metrics.Dim("Reason", out.code))
		return
	}
	m.Count("EventsAccepted", float64(out.result.Accepted))
	reasons := map[string]float64{}
	for _, e := range out.result.Errors {
		switch {
		case !e.Retryable:
			reasons["invalid"]++
		case e.Reason == "internal error":
			reasons["internal"]++
		default:
			reasons["stream"]++
		}
	}
	for reason, n := range reasons {
		m.Count("EventsRejected", n, metrics.Dim("Reason", reason))
	}
}
