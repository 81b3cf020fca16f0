package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/adpulse/adpulse/shared/logging"
)

func TestJSONLinesWithRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := logging.NewWriter(&buf, "info")
	ctx := lambdacontext.NewContext(context.Background(),
		&lambdacontext.LambdaContext{AwsRequestID: "req-42"})

	log.DebugContext(ctx, "hidden")
	log.InfoContext(ctx, "ingest done", "accepted", 3)

	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("not one JSON line: %q", buf.String())
	}
	want := map[string]any{"level": "INFO", "message": "ingest done", "requestId": "req-42",
		"accepted": float64(3)}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("%s = %v, want %v", k, line[k], v)
		}
	}
	if line["timestamp"] == nil {
		t.Error("no timestamp")
	}
}
