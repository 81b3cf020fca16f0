package events_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/shared/event"
)

// partitionSalts is the PARTITION_SALTS default the samples were packed with.
const partitionSalts = 16

// samples lists every JSON file under this folder, by path relative to it.
func samples(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".json") {
			files = append(files, filepath.ToSlash(path))
		}
		return err
	})
	if err != nil {
		t.Fatalf("list samples: %v", err)
	}
	return files
}

// decodeStrict decodes a sample into its input type, refusing fields the type lacks.
func decodeStrict(path string, v any) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON value")
	}
	return raw, nil
}

// normalize drops null and false members, which Go's encoding leaves out (omitempty) or
// writes as null while Lambda writes them out, and rounds numbers to the microsecond:
// approximateArrivalTimestamp goes through float64 nanoseconds and comes back a few
// hundred nanoseconds off. The documents are otherwise compared as they are.
func normalize(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			if x == nil || x == false {
				continue
			}
			out[k] = normalize(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = normalize(x)
		}
		return out
	case float64:
		return math.Round(v*1e6) / 1e6
	}
	return v
}

func jsonEqual(t *testing.T, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("re-encoded JSON: %v", err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("sample JSON: %v", err)
	}
	if !reflect.DeepEqual(normalize(g), normalize(w)) {
		t.Errorf("re-encoded sample differs\n got  %s\n want %s", got, want)
	}
}

// TestSamplesRoundTrip decodes every sample strictly into its function's input type,
// re-encodes it and compares it with the file, as aws-lambda-go's own event tests do.
func TestSamplesRoundTrip(t *testing.T) {
	files := samples(t)
	if len(files) == 0 {
		t.Fatal("no samples found")
	}
	for _, path := range files {
		t.Run(path, func(t *testing.T) {
			var v any
			switch dir := strings.Split(path, "/")[0]; dir {
			case "ingest", "auth", "admin", "campaigns", "rules", "reports", "caps", "decide",
				"health":
				v = &events.APIGatewayProxyRequest{}
			case "notifier":
				v = &events.SQSEvent{}
			case "authorizer":
				v = &events.APIGatewayCustomAuthorizerRequestTypeRequest{}
			case "aggregate":
				v = &events.KinesisEvent{}
			default:
				t.Fatalf("no input type known for folder %q", dir)
			}
			raw, err := decodeStrict(path, v)
			if err != nil {
				t.Fatalf("decode %s: %v", path, err)
			}
			again, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("encode %s: %v", path, err)
			}
			jsonEqual(t, again, raw)
			if _, checked := contentChecks[path]; !checked {
				t.Errorf("%s has no content check: add it to contentChecks", path)
			}
		})
	}
}

// contentChecks names the test that checks each sample's content.
var contentChecks = map[string]string{}

func init() {
	for _, tc := range ingestCases {
		contentChecks["ingest/"+tc.file] = "TestIngestSamples"
	}
	for _, tc := range aggregateCases {
		contentChecks["aggregate/"+tc.file] = "TestAggregateSamples"
	}
	for _, tc := range managementCases {
		contentChecks[tc.file] = "TestManagementSamples"
	}
	for _, tc := range authorizerCases {
		contentChecks["authorizer/"+tc.file] = "TestAuthorizerSamples"
	}
}

// decodeEvent runs the ingest path's decoder and returns the field at fault, "" if valid.
func decodeEvent(t *testing.T, raw []byte) string {
	t.Helper()
	_, err := event.Decode(raw, time.Now())
	if err == nil {
		return ""
	}
	var fe *event.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("Decode returned %T, want *event.FieldError", err)
	}
	return fe.Field + ": " + fe.Reason
}

// ids reads the identity of a raw event without judging it.
func ids(t *testing.T, raw []byte) (eventID, campaignID string) {
	t.Helper()
	var v struct {
		EventID    string `json:"event_id"`
		CampaignID string `json:"campaign_id"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("event is not a JSON object: %v", err)
	}
	return v.EventID, v.CampaignID
}

// fields returns the field part of each "field: reason", sorted.
func fields(problems []string) []string {
	var out []string
	for _, p := range problems {
		out = append(out, strings.SplitN(p, ":", 2)[0])
	}
	slices.Sort(out)
	return out
}

func gunzip(t *testing.T, data []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("gzip body: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip body: %v", err)
	}
	return out
}

func b64(t *testing.T, s string) []byte {
	t.Helper()
	data, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("base64: %v", err)
	}
	return data
}
