package tracing

import (
	"context"
	"io"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/adpulse/adpulse/shared/logging"
)

// BenchmarkNew measures setting tracing up with the real OTLP/HTTP exporter (no
// connection is made until the first export).
func BenchmarkNew(b *testing.B) {
	getenv := env(map[string]string{EnvEndpoint: "http://localhost:4318",
		"AWS_LAMBDA_FUNCTION_NAME": "fn"})
	log := logging.NewWriter(io.Discard, "")
	for b.Loop() {
		tr, err := New(context.Background(), getenv, Options{Log: log})
		if err != nil || tr == nil {
			b.Fatal(tr, err)
		}
		b.StopTimer()
		_ = tr.Shutdown(context.Background())
		b.StartTimer()
	}
}

// BenchmarkInvocation measures the wrapper around one invocation: off (the handler
// itself), and on with spans dropped by a no-op exporter (span, header parsing, flush).
func BenchmarkInvocation(b *testing.B) {
	fn := func(context.Context, string) (string, error) { return "", nil }
	// aws-lambda-go's own key, a plain string
	ctx := context.WithValue(context.Background(), lambdaTraceKey, invocationHeader)
	on, err := New(context.Background(), env(map[string]string{EnvMode: "otel"}),
		Options{Exporter: tracetest.NewNoopExporter(), Log: logging.NewWriter(io.Discard, "")})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		t    *Tracing
	}{{"off", nil}, {"on", on}} {
		h := Wrap(c.t, fn)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = h(ctx, "event")
			}
		})
	}
}
