package apigw

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/devstack/template"
)

// readBody reads the request body up to MaxPayload; more is an error.
func readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > MaxPayload {
		return nil, errors.New("payload too large")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxPayload+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if len(body) > MaxPayload {
		return nil, errors.New("payload too large")
	}
	return body, nil
}

// event builds the Lambda proxy event of a request matched to route.
func (s *Server) event(r *http.Request, path string, route template.Route,
	params map[string]string, body []byte, reqID string) events.APIGatewayProxyRequest {
	now := time.Now().UTC()
	ip, port, _ := net.SplitHostPort(r.RemoteAddr)
	_, localPort, _ := net.SplitHostPort(r.Host)
	hdr := r.Header.Clone()
	hdr.Set("Host", r.Host)
	hdr.Set("X-Amzn-Trace-Id", "Root=1-"+fmt.Sprintf("%08x", now.Unix())+"-"+newID()[:24])
	hdr.Set("X-Forwarded-For", ip)
	hdr.Set("X-Forwarded-Port", orDefault(localPort, port))
	hdr.Set("X-Forwarded-Proto", "http")
	ev := events.APIGatewayProxyRequest{
		Resource:          route.Path,
		Path:              path,
		HTTPMethod:        r.Method,
		Headers:           last(hdr),
		MultiValueHeaders: hdr,
		PathParameters:    params,
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID: template.AccountID, ResourceID: route.ResourceID,
			Stage: s.api.Stage, DomainName: r.Host, DomainPrefix: s.api.ID,
			RequestID: reqID, ExtendedRequestID: reqID, Protocol: r.Proto,
			Identity: events.APIGatewayRequestIdentity{SourceIP: ip,
				UserAgent: r.UserAgent()},
			ResourcePath: route.Path, Path: "/" + s.api.Stage + path, HTTPMethod: r.Method,
			RequestTime:      now.Format("02/Jan/2006:15:04:05 -0700"),
			RequestTimeEpoch: now.UnixMilli(), APIID: s.api.ID,
		},
	}
	if q := r.URL.Query(); len(q) > 0 {
		ev.QueryStringParameters, ev.MultiValueQueryStringParameters = last(q), q
	}
	if len(body) > 0 {
		if s.binary(r.Header.Get("Content-Type")) {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		} else {
			ev.Body = string(body)
		}
	}
	return ev
}

// binary reports whether a content type is one of the API's binary media types.
func (s *Server) binary(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	major, _, _ := strings.Cut(mt, "/")
	for _, b := range s.api.BinaryMediaTypes {
		if b == "*/*" || strings.EqualFold(b, mt) || strings.EqualFold(b, major+"/*") {
			return true
		}
	}
	return false
}

// writeResponse writes a Lambda proxy response and returns its status code.
func writeResponse(w http.ResponseWriter, payload []byte) (int, error) {
	var resp events.APIGatewayProxyResponse
	if err := json.Unmarshal(payload, &resp); err != nil {
		return 0, fmt.Errorf("decode response: %w", err)
	}
	if resp.StatusCode < 100 || resp.StatusCode > 599 {
		return 0, fmt.Errorf("status code %d", resp.StatusCode)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			return 0, fmt.Errorf("decode base64 body: %w", err)
		}
	}
	// Values from multiValueHeaders win over headers of the same name, as in API Gateway.
	h := w.Header()
	for k, vs := range resp.MultiValueHeaders {
		h.Del(k)
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for k, v := range resp.Headers {
		if _, ok := resp.MultiValueHeaders[k]; !ok {
			h.Set(k, v)
		}
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
	return resp.StatusCode, nil
}

// last returns the last value of each key, as API Gateway's single-value maps hold.
func last(m map[string][]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, vs := range m {
		if len(vs) > 0 {
			out[k] = vs[len(vs)-1]
		}
	}
	return out
}

// newID returns a random UUID-shaped id.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// orDefault returns s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
