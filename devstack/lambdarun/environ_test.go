package lambdarun

import (
	"slices"
	"strings"
	"testing"

	"github.com/adpulse/adpulse/devstack/template"
)

func TestEnvironLeavesOutTheCollector(t *testing.T) {
	// GIVEN a function whose template points its tracing at the ADOT collector layer
	r := New(t.TempDir(), t.TempDir(), "http://127.0.0.1:1", 1, nil)
	fn := template.Function{Name: "Ingest", Env: map[string]string{"STREAM_NAME": "Events",
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318",
		"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}}
	// WHEN its local environment is made
	env := r.environ(fn, map[string]string{"LOG_LEVEL": "debug"})
	// THEN the collector variables are gone (no layer runs locally), the rest is kept
	for _, kv := range env {
		if strings.HasPrefix(kv, "OTEL_") {
			t.Errorf("local environment has %s", kv)
		}
	}
	for _, want := range []string{"STREAM_NAME=Events", "LOG_LEVEL=debug"} {
		if !slices.Contains(env, want) {
			t.Errorf("local environment lacks %s: %q", want, env)
		}
	}
}
