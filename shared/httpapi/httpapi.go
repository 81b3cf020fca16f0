// Package httpapi writes the answers of the management API's functions: JSON bodies, one
// error shape for every failure, security headers, CORS from an allow-list and the
// request id on every answer. Internal error text never reaches a response.
package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// FieldError is one failing field of a request body.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Problem is the body of every error answer:
//
//	{"error": {"code": "validation_failed", "message": "...", "fields": [...]},
//	 "request_id": "..."}
type Problem struct {
	Code    string       `json:"code"`
	Message string       `json:"message"`
	Fields  []FieldError `json:"fields,omitempty"`
	Allowed []string     `json:"allowed,omitempty"` // e.g. the legal status moves on a 409
}

type problemBody struct {
	Error     Problem `json:"error"`
	RequestID string  `json:"request_id"`
}

// Header returns a request header, matching its name without regard to case; "" when
// it is absent or empty.
func Header(req *events.APIGatewayProxyRequest, name string) string {
	v, _ := LookupHeader(req, name)
	return v
}

// LookupHeader returns a request header, matching its name without regard to case, and
// whether the request has it at all, so that an empty value can be told from none.
func LookupHeader(req *events.APIGatewayProxyRequest, name string) (string, bool) {
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	for k, vs := range req.MultiValueHeaders {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0], true
		}
	}
	return "", false
}

// HeaderValues returns every value a request carries for a header, matching its name
// without regard to case: the values of MultiValueHeaders under any spelling of the
// name, then each value of Headers that is not among them (an event without multi-value
// headers, or one whose two maps disagree). API Gateway puts the last value of a repeated
// header in Headers and all of them in MultiValueHeaders.
func HeaderValues(req *events.APIGatewayProxyRequest, name string) []string {
	var values []string
	for k, vs := range req.MultiValueHeaders {
		if strings.EqualFold(k, name) {
			values = append(values, vs...)
		}
	}
	multi := len(values)
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) && !slices.Contains(values[:multi], v) {
			values = append(values, v)
		}
	}
	return values
}

// ErrRepeatedAPIKey means a request carries more than one x-api-key value.
var ErrRepeatedAPIKey = errors.New(
	"more than one x-api-key header: send the API key in exactly one x-api-key header")

// APIKey returns the request's x-api-key header, trimmed; "" when it is absent. A request
// with more than one x-api-key value gives ErrRepeatedAPIKey and no key: which value a
// reader picks would depend on the event's maps, so a refused key could hide behind an
// accepted one.
func APIKey(req *events.APIGatewayProxyRequest) (string, error) {
	values := HeaderValues(req, "x-api-key")
	switch len(values) {
	case 0:
		return "", nil
	case 1:
		return strings.TrimSpace(values[0]), nil
	}
	return "", ErrRepeatedAPIKey
}

// Body returns the request body as the client sent it. The REST API passes every body
// through as binary (its binary media types are */*, for gzip ingest), so API Gateway
// hands it over base64-encoded; tests and other callers may send it as text.
func Body(req *events.APIGatewayProxyRequest) ([]byte, error) {
	if !req.IsBase64Encoded {
		return []byte(req.Body), nil
	}
	return base64.StdEncoding.DecodeString(req.Body)
}

// securityHeaders go on every answer.
var securityHeaders = map[string]string{
	"Content-Type":              "application/json",
	"Cache-Control":             "no-store",
	"X-Content-Type-Options":    "nosniff",
	"X-Frame-Options":           "DENY",
	"Referrer-Policy":           "no-referrer",
	"Strict-Transport-Security": "max-age=63072000; includeSubDomains",
	"Content-Security-Policy":   "default-src 'none'; frame-ancestors 'none'",
}

// Responder builds answers for one request: its id and its CORS origin.
type Responder struct {
	RequestID string
	Origin    string // the request's Origin header, echoed only when allowed
	Allowed   []string
}

// NewResponder reads what answers need from the request. allowed is the CORS allow-list
// (exact origins, from configuration).
func NewResponder(req *events.APIGatewayProxyRequest, allowed []string) Responder {
	return Responder{
		RequestID: req.RequestContext.RequestID, Origin: Header(req, "Origin"), Allowed: allowed,
	}
}

// JSON answers with a status and a JSON body, plus extra headers.
func (r Responder) JSON(status int, body any,
	extra map[string]string) events.APIGatewayProxyResponse {
	data, err := json.Marshal(body)
	if err != nil {
		return r.Error(http.StatusInternalServerError, "internal", "internal error")
	}
	h := r.headers()
	for k, v := range extra {
		h[k] = v
	}
	return events.APIGatewayProxyResponse{StatusCode: status, Headers: h, Body: string(data)}
}

// Error answers with the one error shape.
func (r Responder) Error(status int, code, message string) events.APIGatewayProxyResponse {
	return r.Problem(status, Problem{Code: code, Message: message}, nil)
}

// Problem answers with a full problem, plus extra headers (Retry-After, Allow, ...).
func (r Responder) Problem(status int, p Problem,
	extra map[string]string) events.APIGatewayProxyResponse {
	data, _ := json.Marshal(problemBody{Error: p, RequestID: r.RequestID})
	h := r.headers()
	for k, v := range extra {
		h[k] = v
	}
	return events.APIGatewayProxyResponse{StatusCode: status, Headers: h, Body: string(data)}
}

// Invalid answers 400 listing every failing field.
func (r Responder) Invalid(fields []FieldError) events.APIGatewayProxyResponse {
	return r.Problem(http.StatusBadRequest, Problem{Code: "validation_failed",
		Message: "the request has invalid fields", Fields: fields}, nil)
}

func (r Responder) headers() map[string]string {
	h := make(map[string]string, len(securityHeaders)+4)
	for k, v := range securityHeaders {
		h[k] = v
	}
	if r.RequestID != "" {
		h["X-Request-Id"] = r.RequestID
	}
	if r.Origin != "" && allowedOrigin(r.Origin, r.Allowed) {
		h["Access-Control-Allow-Origin"] = r.Origin
		h["Access-Control-Allow-Credentials"] = "true"
		h["Access-Control-Expose-Headers"] = "ETag, Location, X-Request-Id, Retry-After"
		h["Vary"] = "Origin"
	}
	return h
}

func allowedOrigin(origin string, allowed []string) bool {
	for _, a := range allowed {
		if a == origin {
			return true
		}
	}
	return false
}

// ParseOrigins splits a comma-separated allow-list (the CORS_ALLOWED_ORIGINS setting).
func ParseOrigins(s string) []string {
	var out []string
	for _, o := range strings.Split(s, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, o)
		}
	}
	return out
}
