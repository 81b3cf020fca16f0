package ingest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/shared/apikey"
	"github.com/adpulse/adpulse/shared/event"
	"github.com/adpulse/adpulse/shared/ingest"
)

var now = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

const goodKey = "adp_good"

// keys knows one key; it counts lookups to prove the key is checked first.
type keys struct{ lookups int }

func (k *keys) Lookup(_ context.Context, key string) (apikey.Key, error) {
	k.lookups++
	if key == goodKey {
		return apikey.Key{TenantID: "t_a"}, nil
	}
	return apikey.Key{}, apikey.ErrUnknownKey
}

// sink keeps what was published; refuse makes it refuse records holding that event id.
type sink struct {
	records []event.Packed
	refuse  string
}

func (s *sink) Publish(_ context.Context, recs []event.Packed) []error {
	errs := make([]error, len(recs))
	for i, r := range recs {
		if s.refuse != "" && holds(r.Data, s.refuse) {
			errs[i] = fmt.Errorf("ProvisionedThroughputExceededException")
			continue
		}
		s.records = append(s.records, r)
	}
	return errs
}

// holds reports whether a record (compressed or not) carries the event id.
func holds(data []byte, id string) bool {
	rec, err := event.DecodeRecord(data)
	if err != nil {
		return false
	}
	for _, raw := range rec.Events {
		if bytes.Contains(raw, []byte(`"`+id+`"`)) {
			return true
		}
	}
	return false
}

func (s *sink) events(t *testing.T) []event.Event {
	t.Helper()
	var out []event.Event
	for _, r := range s.records {
		rec, err := event.DecodeRecord(r.Data)
		if err != nil {
			t.Fatalf("published record does not decode: %v", err)
		}
		for _, raw := range rec.Events {
			e, err := event.Decode(raw, now)
			if err != nil {
				t.Fatalf("published event does not decode: %v", err)
			}
			out = append(out, e)
		}
	}
	return out
}

func newHandler() (*ingest.Handler, *keys, *sink) {
	k, s := &keys{}, &sink{}
	return &ingest.Handler{Keys: k, Publisher: s, Salts: 16, Now: func() time.Time { return now },
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}, k, s
}

func ev(i int) string {
	return fmt.Sprintf(`{"event_id":"e-%d","type":"impression","campaign_id":"c-1","ad_id":"a-1",`+
		`"user_id":"u-%d","occurred_at":"2026-12-03T11:00:00Z",`+
		`"cost_micros":1000,"currency":"USD"}`,
		i, i)
}

func batchOf(n int, bad map[int]string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = ev(i)
		if b, ok := bad[i]; ok {
			parts[i] = b
		}
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func request(path, key, body string) events.APIGatewayProxyRequest {
	req := events.APIGatewayProxyRequest{
		Resource: path, Path: path, HTTPMethod: "POST", Body: body,
		Headers:        map[string]string{"Content-Type": "application/json"},
		RequestContext: events.APIGatewayProxyRequestContext{RequestID: "req-1"},
	}
	if key != "" {
		req.Headers["X-Api-Key"] = key
	}
	return req
}

func decode(t *testing.T, resp events.APIGatewayProxyResponse) ingest.Result {
	t.Helper()
	var r ingest.Result
	if err := json.Unmarshal([]byte(resp.Body), &r); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, resp.Body)
	}
	return r
}

func TestBatchWithOneBadEvent(t *testing.T) {
	h, _, s := newHandler()
	bad := `{"event_id":"e-bad","type":"impression","campaign_id":"c-1","ad_id":"a-1",` +
		`"user_id":"u","occurred_at":"2026-12-03T11:00:00Z","cost_micros":"abc","currency":"USD"}`
	resp, _ := h.Handle(context.Background(),
		request("/v1/events/batch", goodKey, batchOf(10, map[int]string{6: bad})))

	if resp.StatusCode != 202 {
		t.Fatalf("status %d, want 202: %s", resp.StatusCode, resp.Body)
	}
	r := decode(t, resp)
	if r.Accepted != 9 || r.Rejected != 1 || len(r.Errors) != 1 {
		t.Fatalf("got %+v, want 9 accepted and 1 rejected", r)
	}
	want := ingest.EventError{Index: 6, EventID: "e-bad", Field: "cost_micros",
		Reason: "must be an integer, got string"}
	if r.Errors[0] != want {
		t.Errorf("error %+v, want %+v", r.Errors[0], want)
	}
	if got := len(s.events(t)); got != 9 {
		t.Errorf("published %d events, want 9", got)
	}
	for _, e := range s.events(t) {
		if e.EventID == "e-bad" {
			t.Error("the bad event was published")
		}
	}
}

func TestRefusals(t *testing.T) {
	big := batchOf(1, nil)
	big = big[:len(big)-1] + "," + strings.Repeat(" ", 2<<20) + "]"
	cases := []struct {
		name    string
		req     events.APIGatewayProxyRequest
		status  int
		message string
	}{
		{"no key", request("/v1/events", "", ev(1)), 401, "missing API key"},
		{"unknown key", request("/v1/events", "adp_nope", ev(1)), 401, "unknown or revoked"},
		{"unknown key with garbage body", request("/v1/events", "adp_nope", "{{{"), 401,
			"unknown or revoked"},
		{"2 MB body", request("/v1/events/batch", goodKey, big), 413, "larger than 1 MB"},
		{"not json content", withHeader(request("/v1/events", goodKey, ev(1)), "Content-Type",
			"text/csv"), 415, "application/json"},
		{"object to batch route", request("/v1/events/batch", goodKey, ev(1)), 400, "JSON array"},
		{"unknown route", request("/v1/other", goodKey, ev(1)), 404, "no such route"},
		{"unknown encoding", withHeader(request("/v1/events", goodKey, ev(1)),
			"content-encoding", "br"), 400, "not supported"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, _, s := newHandler()
			resp, _ := h.Handle(context.Background(), tc.req)
			if resp.StatusCode != tc.status || !strings.Contains(resp.Body, tc.message) {
				t.Errorf("got %d %s, want %d with %q", resp.StatusCode, resp.Body, tc.status,
					tc.message)
			}
			if len(s.records) != 0 {
				t.Errorf("published %d records on a refused request", len(s.records))
			}
		})
	}
}

func withHeader(req events.APIGatewayProxyRequest, k, v string) events.APIGatewayProxyRequest {
	req.Headers[k] = v
	return req
}

func TestBodyEncodingsAndHeaderCase(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(batchOf(3, nil)))
	zw.Close()

	plain := request("/v1/events/batch", "", batchOf(3, nil))
	plain.Headers = map[string]string{"x-API-key": goodKey}

	b64 := request("/v1/events/batch", goodKey, base64.StdEncoding.EncodeToString(
		[]byte(batchOf(3, nil))))
	b64.IsBase64Encoded = true

	zipped := request("/v1/events/batch", "", base64.StdEncoding.EncodeToString(gz.Bytes()))
	zipped.IsBase64Encoded = true
	zipped.Headers = nil
	zipped.MultiValueHeaders = map[string][]string{
		"X-API-KEY": {goodKey}, "CONTENT-ENCODING": {"gzip"}}

	for name, req := range map[string]events.APIGatewayProxyRequest{
		"mixed-case header": plain, "base64": b64, "gzip in base64, multi-value": zipped,
	} {
		t.Run(name, func(t *testing.T) {
			h, _, s := newHandler()
			resp, _ := h.Handle(context.Background(), req)
			if r := decode(t, resp); resp.StatusCode != 202 || r.Accepted != 3 {
				t.Fatalf("got %d %+v, want 202 with 3 accepted", resp.StatusCode, r)
			}
			if len(s.events(t)) != 3 {
				t.Errorf("published %d events, want 3", len(s.events(t)))
			}
		})
	}
}

func TestGzipBombIsRefused(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("[" + strings.Repeat(" ", 5<<20) + "]"))
	zw.Close()
	req := request("/v1/events/batch", goodKey, gz.String())
	req.Headers["Content-Encoding"] = "gzip"

	h, _, _ := newHandler()
	resp, _ := h.Handle(context.Background(), req)
	if resp.StatusCode != 413 {
		t.Errorf("status %d for 5 MB inflated from %d bytes, want 413", resp.StatusCode, gz.Len())
	}
}

func TestStreamRefusalIsRetryableAndNotAcknowledged(t *testing.T) {
	h, _, s := newHandler()
	s.refuse = "e-2"
	resp, _ := h.Handle(context.Background(),
		request("/v1/events/batch", goodKey, batchOf(3, nil)))
	r := decode(t, resp)
	if resp.StatusCode != 202 || r.Accepted+r.Rejected != 3 || r.Rejected < 1 {
		t.Fatalf("got %d %+v", resp.StatusCode, r)
	}
	for _, e := range r.Errors {
		if !e.Retryable {
			t.Errorf("stream refusal reported as final: %+v", e)
		}
	}
	if len(s.events(t)) != r.Accepted {
		t.Errorf("acknowledged %d, stream holds %d", r.Accepted, len(s.events(t)))
	}

	// When nothing at all was taken, the answer says to retry.
	h2, _, s2 := newHandler()
	s2.refuse = "c-1"
	resp, _ = h2.Handle(context.Background(), request("/v1/events", goodKey, ev(1)))
	if resp.StatusCode != 503 || resp.Headers["Retry-After"] == "" {
		t.Errorf("status %d headers %v, want 503 with Retry-After", resp.StatusCode, resp.Headers)
	}
}

func TestSingleInvalidEventIs400(t *testing.T) {
	h, _, _ := newHandler()
	resp, _ := h.Handle(context.Background(), request("/v1/events", goodKey,
		strings.Replace(ev(1), `"USD"`, `"usd"`, 1)))
	r := decode(t, resp)
	if resp.StatusCode != 400 || len(r.Errors) != 1 || r.Errors[0].Field != "currency" {
		t.Errorf("got %d %+v, want 400 naming currency", resp.StatusCode, r)
	}
}

// TestRecordCodec: records are S2-compressed unless the handler is told to write the
// uncompressed format; both carry the same events.
func TestRecordCodec(t *testing.T) {
	cases := []struct {
		name  string
		codec event.Codec
		first byte
	}{
		{"default compresses", event.CodecS2, event.CompressedS2},
		{"json for an old consumer", event.CodecJSON, '{'},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, _, s := newHandler()
			h.Codec = tc.codec
			resp, _ := h.Handle(context.Background(),
				request("/v1/events/batch", goodKey, batchOf(3, nil)))
			if resp.StatusCode != 202 || len(s.records) == 0 {
				t.Fatalf("status %d, %d records", resp.StatusCode, len(s.records))
			}
			for _, r := range s.records {
				if r.Data[0] != tc.first {
					t.Errorf("record starts with %#x, want %#x", r.Data[0], tc.first)
				}
			}
			if got := len(s.events(t)); got != 3 {
				t.Errorf("records carry %d events, want 3", got)
			}
		})
	}
}

// TestLoneSurrogateEscapesAreRejected: ids that differ only in a lone surrogate escape
// would decode to one U+FFFD id and be counted as one event; each such event is rejected
// on its own, naming the field, and the good events of its batch are still accepted.
func TestLoneSurrogateEscapesAreRejected(t *testing.T) {
	lone := func(id string) string { return strings.Replace(ev(1), `"e-1"`, `"`+id+`"`, 1) }
	cases := []struct {
		name, path, body string
		status, accepted int
		rejected         []int // indexes rejected with field event_id
	}{
		{"high", "/v1/events", lone(`sur-\ud800`), 400, 0, []int{0}},
		{"last high", "/v1/events", lone(`sur-\udbff`), 400, 0, []int{0}},
		{"low", "/v1/events", lone(`sur-\udc00`), 400, 0, []int{0}},
		{"in a batch", "/v1/events/batch", batchOf(4, map[int]string{1: lone(`sur-\ud800`),
			3: lone(`sur-\udc00`)}), 202, 2, []int{1, 3}},
		{"a pair is fine", "/v1/events", lone(`sur-\ud83d\ude00`), 202, 1, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, _, s := newHandler()
			resp, _ := h.Handle(context.Background(), request(tc.path, goodKey, tc.body))
			r := decode(t, resp)
			if resp.StatusCode != tc.status || r.Accepted != tc.accepted ||
				len(r.Errors) != len(tc.rejected) {
				t.Fatalf("got %d %+v, want %d with %d accepted, %d rejected", resp.StatusCode,
					r, tc.status, tc.accepted, len(tc.rejected))
			}
			for i, e := range r.Errors {
				if e.Index != tc.rejected[i] || e.Field != "event_id" ||
					!strings.Contains(e.Reason, "must be valid UTF-8") {
					t.Errorf("error %+v, want index %d, event_id: must be valid UTF-8...",
						e, tc.rejected[i])
				}
			}
			if got := len(s.events(t)); got != tc.accepted {
				t.Errorf("published %d events, want %d", got, tc.accepted)
			}
		})
	}
}

// TestRepeatedAPIKeyIsRefused: with two x-api-key values the answer depended on which one
// the handler read (the last, from Headers); any request with more than one is refused
// before a key is looked up, whatever the spelling of the name and whichever map holds it.
func TestRepeatedAPIKeyIsRefused(t *testing.T) {
	cases := []struct {
		name   string
		single map[string]string
		multi  map[string][]string
		status int
	}{
		{"good then bad", map[string]string{"X-Api-Key": "nope"},
			map[string][]string{"X-Api-Key": {goodKey, "nope"}}, 401},
		{"bad then good", map[string]string{"X-Api-Key": goodKey},
			map[string][]string{"X-Api-Key": {"nope", goodKey}}, 401},
		{"the good key twice", map[string]string{"x-api-key": goodKey},
			map[string][]string{"x-api-key": {goodKey, goodKey}}, 401},
		{"two spellings, multi-value", nil,
			map[string][]string{"x-api-key": {goodKey}, "X-API-KEY": {"nope"}}, 401},
		{"two spellings, single-value", map[string]string{"x-api-key": "nope",
			"X-Api-Key": goodKey}, nil, 401},
		{"maps disagree", map[string]string{"x-api-key": goodKey},
			map[string][]string{"X-Api-Key": {"nope"}}, 401},
		{"one key in both maps", map[string]string{"x-api-key": goodKey},
			map[string][]string{"X-Api-Key": {goodKey}}, 202},
		{"one key, multi-value only", nil, map[string][]string{"X-API-Key": {goodKey}}, 202},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := request("/v1/events", "", ev(1))
			for k, v := range tc.single {
				req.Headers[k] = v
			}
			req.MultiValueHeaders = tc.multi
			h, k, s := newHandler()
			resp, _ := h.Handle(context.Background(), req)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, resp.Body)
			}
			if tc.status != 401 {
				return
			}
			if !strings.Contains(resp.Body, `"code":"unauthorized"`) ||
				!strings.Contains(resp.Body, "more than one x-api-key header") {
				t.Errorf("body %s, want unauthorized: more than one x-api-key header", resp.Body)
			}
			if k.lookups != 0 || len(s.records) != 0 {
				t.Errorf("%d lookups and %d records on a refused request", k.lookups,
					len(s.records))
			}
		})
	}
}

// TestBadBodyEncodingsAnswerInOurWords: a body that does not decode is refused with 400
// in the API's own words; the library's error (gzip: invalid header, unexpected EOF,
// illegal base64 data) goes to the log, never into the answer.
func TestBadBodyEncodingsAnswerInOurWords(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(batchOf(3, nil)))
	zw.Close()
	zipped := gz.String()
	const notGzip = "the body is marked gzip (Content-Encoding) but is not valid gzip data"
	cases := []struct {
		name, body, encoding string
		base64               bool
		message, cause       string
	}{
		{"not gzip at all", batchOf(3, nil), "gzip", false, notGzip, "invalid header"},
		{"truncated gzip", zipped[:len(zipped)/2], "gzip", false, notGzip, "unexpected EOF"},
		{"garbage after gzip", zipped + "not gzip data", "gzip", false, notGzip,
			"invalid header"},
		{"gzip in base64, truncated", base64.StdEncoding.EncodeToString(
			[]byte(zipped[:len(zipped)-4])), "gzip", true, notGzip, "unexpected EOF"},
		{"bad base64", "!!!!", "", true,
			"the body is marked base64 but is not valid base64", "illegal base64"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := request("/v1/events/batch", goodKey, tc.body)
			req.IsBase64Encoded = tc.base64
			if tc.encoding != "" {
				req.Headers["Content-Encoding"] = tc.encoding
			}
			h, _, s := newHandler()
			var log bytes.Buffer
			h.Log = slog.New(slog.NewJSONHandler(&log, nil))
			resp, _ := h.Handle(context.Background(), req)
			var p struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if err := json.Unmarshal([]byte(resp.Body), &p); err != nil {
				t.Fatalf("answer is not JSON: %s", resp.Body)
			}
			if resp.StatusCode != 400 || p.Error.Code != "bad_request" ||
				p.Error.Message != tc.message {
				t.Errorf("got %d %s, want 400 bad_request %q", resp.StatusCode, resp.Body,
					tc.message)
			}
			if !strings.Contains(log.String(), tc.cause) {
				t.Errorf("log %s does not name the cause %q", log.String(), tc.cause)
			}
			if len(s.records) != 0 {
				t.Errorf("published %d records", len(s.records))
			}
		})
	}
}

// TestContentTypeCharset: JSON is read as UTF-8, so a body declared in another charset is
// refused with 415; utf-8 in any case, or no charset at all, is fine.
func TestContentTypeCharset(t *testing.T) {
	cases := []struct {
		contentType string
		status      int
	}{
		{"application/json; charset=latin1", 415},
		{"application/json; charset=ISO-8859-1", 415},
		{"application/json; charset=utf-16", 415},
		{"application/json; charset=utf8", 202}, // a common spelling of UTF-8
		{"application/json; charset=utf-8", 202},
		{"application/json; charset=UTF-8", 202},
		{`application/json; CHARSET="Utf-8"`, 202},
		{"application/json", 202},
		{"application/cloudevents+json; charset=utf-8", 202},
	}
	for _, tc := range cases {
		t.Run(tc.contentType, func(t *testing.T) {
			h, _, s := newHandler()
			resp, _ := h.Handle(context.Background(), withHeader(
				request("/v1/events", goodKey, ev(1)), "Content-Type", tc.contentType))
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, resp.Body)
			}
			if tc.status == 415 && (!strings.Contains(resp.Body, "unsupported_media_type") ||
				!strings.Contains(resp.Body, "charset must be utf-8") || len(s.records) != 0) {
				t.Errorf("body %s, %d records; want unsupported_media_type naming the charset",
					resp.Body, len(s.records))
			}
		})
	}
}
