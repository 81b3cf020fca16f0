package events_test

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/shared/event"
)

var ingestCases = []struct {
	file        string
	path        string
	wantKey     bool
	wantGzip    bool
	wantValid   int
	wantInvalid []string // fields of the invalid events
}{
	{"single-event.json", "/v1/events", true, false, 1, nil},
	{"batch.json", "/v1/events/batch", true, false, 3, []string{"currency"}},
	{"batch-gzip-base64.json", "/v1/events/batch", true, true, 3, nil},
	{"missing-key.json", "/v1/events", false, false, 1, nil},
}

// header looks a header up the way the ingest function must: case-insensitively.
func header(req events.APIGatewayProxyRequest, name string) (string, bool) {
	for k, v := range req.Headers {
		if http.CanonicalHeaderKey(k) == http.CanonicalHeaderKey(name) {
			return v, true
		}
	}
	return "", false
}

// body returns a request's body as the client sent it, before any content encoding is
// undone: base64 decoded when API Gateway encoded it.
func body(t *testing.T, req events.APIGatewayProxyRequest) []byte {
	t.Helper()
	if req.IsBase64Encoded {
		return b64(t, req.Body)
	}
	return []byte(req.Body)
}

func TestIngestSamples(t *testing.T) {
	for _, tc := range ingestCases {
		t.Run(tc.file, func(t *testing.T) {
			var req events.APIGatewayProxyRequest
			if _, err := decodeStrict(filepath.Join("ingest", tc.file), &req); err != nil {
				t.Fatalf("decode: %v", err)
			}

			ctx := req.RequestContext
			route := [4]string{req.HTTPMethod, req.Resource, req.Path, ctx.ResourcePath}
			if want := [4]string{"POST", tc.path, tc.path, tc.path}; route != want {
				t.Errorf("got method and paths %v, want %v", route, want)
			}
			key, hasKey := header(req, "x-api-key")
			if hasKey != tc.wantKey {
				t.Errorf("got x-api-key present %v, want %v", hasKey, tc.wantKey)
			}
			if hasKey && !strings.Contains(key, "FAKE") {
				t.Errorf("got key %q, want an obviously fake key", key)
			}
			for k, v := range req.Headers {
				if got := req.MultiValueHeaders[k]; !reflect.DeepEqual(got, []string{v}) {
					t.Errorf("header %s: got multi-value %q, want [%q]", k, got, v)
				}
			}

			data := body(t, req)
			enc, _ := header(req, "Content-Encoding")
			gotGzip := enc == "gzip"
			if gotGzip != tc.wantGzip || req.IsBase64Encoded != tc.wantGzip {
				t.Fatalf("got gzip %v, base64 %v; want both %v", gotGzip, req.IsBase64Encoded,
					tc.wantGzip)
			}
			if tc.wantGzip {
				data = gunzip(t, data)
			}

			valid, invalid := judge(t, tc.path, data)
			if valid != tc.wantValid || !reflect.DeepEqual(fields(invalid), tc.wantInvalid) {
				t.Errorf("got %d valid, invalid %v; want %d valid, invalid fields %v", valid,
					invalid, tc.wantValid, tc.wantInvalid)
			}
		})
	}
}

// judge decodes a body as the ingest function does and counts valid and invalid events.
func judge(t *testing.T, path string, data []byte) (int, []string) {
	t.Helper()
	raws := []json.RawMessage{data}
	if strings.HasSuffix(path, "/batch") {
		var err error
		if raws, err = event.SplitBatch(data); err != nil {
			t.Fatalf("batch body: %v", err)
		}
	}
	valid, invalid := 0, []string(nil)
	for _, raw := range raws {
		if problem := decodeEvent(t, raw); problem != "" {
			invalid = append(invalid, problem)
			continue
		}
		valid++
	}
	return valid, invalid
}
