// Package tracing follows one request through a function and its AWS calls with
// OpenTelemetry: each invocation is a server span whose parent is the X-Ray segment that
// Lambda opened for it (the _X_AMZN_TRACE_ID header of the invocation), and each AWS SDK
// call made through a config from AWSConfig is a client span under it. Spans go by OTLP
// over HTTP to the collector of the ADOT Lambda layer (localhost:4318), which sends them
// to X-Ray; they are flushed before each invocation returns, so none is lost when Lambda
// freezes the environment.
//
// Tracing is off unless a collector is configured: OTEL_EXPORTER_OTLP_ENDPOINT set (the CDK
// app sets it on every function together with the layer) or ADPULSE_TRACING=otel (then
// the exporter's own default, localhost:4318). ADPULSE_TRACING=off turns it off whatever
// else is set. When off, AWSConfig adds no middleware, Handler returns the handler itself
// and no tracer provider is built: the cost is one environment read per process.
//
// Wire a function once, in main:
//
//	cfg, err := tracing.AWSConfig(ctx)      // instead of config.LoadDefaultConfig
//	...
//	lambda.Start(tracing.Handler(h.Handle)) // outermost wrapper
package tracing

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/adpulse/adpulse/shared/logging"
)

// Environment variables that turn tracing on or off.
const (
	// EnvMode is "otel" to trace with the exporter's default endpoint, "off" never to
	// trace; anything else leaves the choice to EnvEndpoint.
	EnvMode = "ADPULSE_TRACING"
	// EnvEndpoint is the OTLP collector's base URL (the ADOT layer's is
	// http://localhost:4318); set, it turns tracing on.
	EnvEndpoint = "OTEL_EXPORTER_OTLP_ENDPOINT"
)

// ScopeName is the instrumentation scope of every span this package starts.
const ScopeName = "github.com/adpulse/adpulse/shared/tracing"

// FlushTimeout bounds the export at the end of an invocation; it is also cut short by the
// invocation's own deadline.
const FlushTimeout = time.Second

// Enabled reports whether the environment read through getenv turns tracing on.
func Enabled(getenv func(string) string) bool {
	switch getenv(EnvMode) {
	case "off":
		return false
	case "otel":
		return true
	}
	return getenv(EnvEndpoint) != ""
}

// Tracing is the tracing of one process. A nil *Tracing is tracing off: its methods do
// nothing and Wrap returns the handler itself.
type Tracing struct {
	provider *sdktrace.TracerProvider
	tracer   trace.Tracer
	name     string // the invocation span's name: the function name
	log      *slog.Logger
}

// Options configure New; a zero field takes its default.
type Options struct {
	// Exporter receives the spans (default: OTLP over HTTP, configured by the standard
	// OTEL_EXPORTER_OTLP_* variables). Tests pass tracetest.NewInMemoryExporter().
	Exporter sdktrace.SpanExporter
	// Log receives export failures (default logging.New()).
	Log *slog.Logger
}

// New returns the tracing that getenv configures: nil, and no provider, when Enabled is
// false.
func New(ctx context.Context, getenv func(string) string, opts Options) (*Tracing, error) {
	if !Enabled(getenv) {
		return nil, nil
	}
	if opts.Log == nil {
		opts.Log = logging.New()
	}
	if opts.Exporter == nil {
		exp, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("tracing: otlp exporter: %w", err)
		}
		opts.Exporter = exp
	}
	name := getenv("AWS_LAMBDA_FUNCTION_NAME")
	if name == "" {
		name = "function"
	}
	provider := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(opts.Exporter),
		sdktrace.WithIDGenerator(XRayIDs{}),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())),
		sdktrace.WithResource(resource.NewWithAttributes(semconv.SchemaURL,
			semconv.ServiceName(name), semconv.CloudProviderAWS,
			semconv.CloudPlatformAWSLambda, semconv.CloudRegion(getenv("AWS_REGION")),
			semconv.FaaSName(name), semconv.FaaSVersion(getenv("AWS_LAMBDA_FUNCTION_VERSION")),
		)),
	)
	return &Tracing{provider: provider, tracer: provider.Tracer(ScopeName), name: name,
		log: opts.Log}, nil
}

// Provider returns the tracer provider, nil when tracing is off.
func (t *Tracing) Provider() *sdktrace.TracerProvider {
	if t == nil {
		return nil
	}
	return t.provider
}

// Instrument makes every AWS SDK client built from cfg trace its calls as client spans
// under the span of the call's context, and pass that span on in X-Amzn-Trace-Id.
func (t *Tracing) Instrument(cfg *aws.Config) {
	if t == nil {
		return
	}
	cfg.APIOptions = append(cfg.APIOptions, t.sdkMiddleware)
}

// Flush exports the spans ended so far, waiting at most FlushTimeout.
func (t *Tracing) Flush(ctx context.Context) {
	if t == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, FlushTimeout)
	defer cancel()
	if err := t.provider.ForceFlush(ctx); err != nil {
		t.log.WarnContext(ctx, "trace export failed", "err", fmt.Errorf("flush spans: %w", err))
	}
}

// Shutdown flushes and stops the provider (for tests and tools; Lambda never calls it).
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	if err := t.provider.Shutdown(ctx); err != nil {
		return fmt.Errorf("tracing: shutdown: %w", err)
	}
	return nil
}

// Wrap returns fn traced by t: each call is a server span, child of the X-Ray trace header
// of the invocation, ended and flushed before the call returns. With t nil, fn itself.
func Wrap[In, Out any](t *Tracing, fn func(context.Context, In) (Out, error)) func(
	context.Context, In) (Out, error) {
	if t == nil {
		return fn
	}
	return func(ctx context.Context, in In) (out Out, err error) {
		ctx, span := t.tracer.Start(withInvocationParent(ctx), t.name,
			trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(invocation(ctx)...))
		defer func() {
			if err != nil {
				span.RecordError(err)
				span.SetStatus(codes.Error, err.Error())
			}
			span.End()
			t.Flush(ctx)
		}()
		return fn(ctx, in)
	}
}

// invocation returns the attributes of the invocation in ctx's Lambda context.
func invocation(ctx context.Context) []attribute.KeyValue {
	lc, ok := lambdacontext.FromContext(ctx)
	if !ok {
		return nil
	}
	return []attribute.KeyValue{semconv.FaaSInvocationID(lc.AwsRequestID),
		semconv.CloudResourceID(lc.InvokedFunctionArn)}
}

// process is the tracing of this process, from its environment, made on first use.
var process = sync.OnceValues(func() (*Tracing, error) {
	return New(context.Background(), os.Getenv, Options{})
})

// Default returns the tracing of this process as its environment configures it (nil when
// off), made once.
func Default() (*Tracing, error) { return process() }

// AWSConfig is config.LoadDefaultConfig with the SDK calls traced when tracing is on. Its
// error is LoadDefaultConfig's as it is (callers say "load aws config"), or the tracing
// set-up's.
func AWSConfig(ctx context.Context, optFns ...func(*config.LoadOptions) error) (
	aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx, optFns...)
	if err != nil {
		return cfg, err
	}
	t, err := Default()
	if err != nil {
		return cfg, err
	}
	t.Instrument(&cfg)
	return cfg, nil
}

// Handler is Wrap with this process's tracing: fn itself when tracing is off or could not
// be set up (AWSConfig, called at init, reports why).
func Handler[In, Out any](fn func(context.Context, In) (Out, error)) func(
	context.Context, In) (Out, error) {
	t, err := Default()
	if err != nil {
		return fn
	}
	return Wrap(t, fn)
}
