package tracing

import (
	"context"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/adpulse/adpulse/shared/logging"
)

// invocationHeader is an X-Ray header as Lambda hands it to a sampled invocation.
const (
	invocationHeader = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;" +
		"Sampled=1;Lineage=a87bd80c:0"
	wantTraceID  = "5759e988bd862e3fe1be46a994272793"
	wantParentID = "53995c3f42cd8ad8"
)

// fakeAWS answers every request with status and body, and remembers the requests' trace
// headers.
type fakeAWS struct {
	status int
	body   string

	mu      sync.Mutex
	headers []string
}

func (f *fakeAWS) Do(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	f.headers = append(f.headers, req.Header.Get(HeaderName))
	f.mu.Unlock()
	return &http.Response{StatusCode: f.status, Request: req,
		Header: http.Header{"X-Amzn-Requestid": {"req-1"},
			"Content-Type": {"application/x-amz-json-1.0"}},
		Body: io.NopCloser(strings.NewReader(f.body))}, nil
}

// awsConfig is a config with static credentials whose HTTP calls go to client.
func awsConfig(t *testing.T, client aws.HTTPClient) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("eu-west-1"),
		config.WithRetryMaxAttempts(1),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("k", "s", "")))
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTPClient = client // after loading: a CA bundle in the environment needs a transport
	return cfg
}

// env is a getenv over a map.
func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestSDKCallIsChildOfInvocation(t *testing.T) {
	cases := []struct {
		name          string
		status        int
		body          string
		call          func(context.Context, aws.Config) error
		span          string // the client span's name
		service, op   string
		wantErr       bool
		wantStatus    int64 // http.response.status_code on the span; 0: none
		parentFromEnv bool  // the header in _X_AMZN_TRACE_ID instead of the context
	}{
		{name: "dynamodb ok", status: 200, body: `{"TableNames":["Aggregates"]}`,
			call: func(ctx context.Context, cfg aws.Config) error {
				_, err := dynamodb.NewFromConfig(cfg).ListTables(ctx, &dynamodb.ListTablesInput{})
				return err
			}, span: "DynamoDB.ListTables", service: "DynamoDB", op: "ListTables"},
		{name: "dynamodb error", status: 400, wantErr: true, wantStatus: 400,
			body: `{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",` +
				`"message":"Requested resource not found"}`,
			call: func(ctx context.Context, cfg aws.Config) error {
				_, err := dynamodb.NewFromConfig(cfg).DescribeTable(ctx,
					&dynamodb.DescribeTableInput{TableName: aws.String("Nope")})
				return err
			}, span: "DynamoDB.DescribeTable", service: "DynamoDB", op: "DescribeTable"},
		{name: "kinesis ok, header from the environment", status: 200, parentFromEnv: true,
			body: `{"Shards":[]}`,
			call: func(ctx context.Context, cfg aws.Config) error {
				_, err := kinesis.NewFromConfig(cfg).ListShards(ctx,
					&kinesis.ListShardsInput{StreamName: aws.String("Events")})
				return err
			}, span: "Kinesis.ListShards", service: "Kinesis", op: "ListShards"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// GIVEN tracing on, into memory, and a config instrumented by it
			exp := tracetest.NewInMemoryExporter()
			tr, err := New(context.Background(), env(map[string]string{
				EnvEndpoint: "http://localhost:4318", "AWS_LAMBDA_FUNCTION_NAME": "fn"}),
				Options{Exporter: exp, Log: logging.NewWriter(io.Discard, "")})
			if err != nil || tr == nil {
				t.Fatalf("New = %v, %v; want tracing on", tr, err)
			}
			defer func() { _ = tr.Shutdown(context.Background()) }()
			fake := &fakeAWS{status: tc.status, body: tc.body}
			cfg := awsConfig(t, fake)
			tr.Instrument(&cfg)

			// WHEN an invocation with an X-Ray header makes the SDK call
			ctx := lambdacontext.NewContext(context.Background(),
				&lambdacontext.LambdaContext{AwsRequestID: "inv-1",
					InvokedFunctionArn: "arn:aws:lambda:eu-west-1:1:function:fn"})
			if tc.parentFromEnv {
				t.Setenv("_X_AMZN_TRACE_ID", invocationHeader)
			} else {
				// aws-lambda-go's own key, a plain string
				ctx = context.WithValue(ctx, lambdaTraceKey, invocationHeader)
			}
			handler := Wrap(tr, func(ctx context.Context, _ string) (string, error) {
				return "", tc.call(ctx, cfg)
			})
			_, err = handler(ctx, "event")
			if (err != nil) != tc.wantErr {
				t.Fatalf("handler error = %v, want error %v", err, tc.wantErr)
			}

			// THEN the spans were flushed before the handler returned: the invocation span,
			// child of Lambda's segment, and the client span, child of the invocation
			spans := exp.GetSpans()
			inv, call := find(spans, "fn"), find(spans, tc.span)
			if inv == nil || call == nil {
				t.Fatalf("spans %v: want fn and %s", names(spans), tc.span)
			}
			if got := inv.SpanContext.TraceID().String(); got != wantTraceID {
				t.Errorf("invocation trace id %s, want %s", got, wantTraceID)
			}
			if got := inv.Parent.SpanID().String(); got != wantParentID || !inv.Parent.IsRemote() {
				t.Errorf("invocation parent %s (remote %v), want remote %s", got,
					inv.Parent.IsRemote(), wantParentID)
			}
			if inv.SpanKind != trace.SpanKindServer || call.SpanKind != trace.SpanKindClient {
				t.Errorf("kinds %v, %v; want server, client", inv.SpanKind, call.SpanKind)
			}
			if call.Parent.SpanID() != inv.SpanContext.SpanID() ||
				call.SpanContext.TraceID() != inv.SpanContext.TraceID() {
				t.Errorf("client span parent %s, want the invocation span %s",
					call.Parent.SpanID(), inv.SpanContext.SpanID())
			}
			attrs := attribute.NewSet(call.Attributes...)
			for key, want := range map[attribute.Key]string{RPCSystemKey: "aws-api",
				RPCServiceKey: tc.service, RPCMethodKey: tc.op, "cloud.region": "eu-west-1",
				"aws.request_id": "req-1"} {
				if got, _ := attrs.Value(key); got.AsString() != want {
					t.Errorf("client span %s = %q, want %q", key, got.AsString(), want)
				}
			}
			if got, _ := attrs.Value("http.response.status_code"); got.AsInt64() != tc.wantStatus {
				t.Errorf("status code %d, want %d", got.AsInt64(), tc.wantStatus)
			}
			wantCode := codes.Unset
			if tc.wantErr {
				wantCode = codes.Error
			}
			if call.Status.Code != wantCode {
				t.Errorf("client span status %v, want error %v", call.Status, tc.wantErr)
			}
			invAttrs := attribute.NewSet(inv.Attributes...)
			if got, _ := invAttrs.Value("faas.invocation_id"); got.AsString() != "inv-1" {
				t.Errorf("invocation id %q, want inv-1", got.AsString())
			}
			// AND the request carried the client span as X-Ray parent, so AWS joins the trace
			wantHeader := FormatHeader(call.SpanContext)
			if len(fake.headers) != 1 || fake.headers[0] != wantHeader {
				t.Errorf("X-Amzn-Trace-Id sent %q, want [%q]", fake.headers, wantHeader)
			}
		})
	}
}

func TestOffInstallsNothing(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
	}{
		{"nothing set", nil},
		{"mode off beats an endpoint", map[string]string{EnvMode: "off",
			EnvEndpoint: "http://localhost:4318"}},
		{"unknown mode", map[string]string{EnvMode: "xray"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// GIVEN an environment without a collector WHEN tracing is made
			tr, err := New(context.Background(), env(tc.env), Options{})
			// THEN it is nil: no provider, no middleware, the handler unwrapped
			if err != nil || tr != nil || tr.Provider() != nil {
				t.Fatalf("New = %v, %v; want nil, nil", tr, err)
			}
			cfg := aws.Config{}
			tr.Instrument(&cfg)
			if len(cfg.APIOptions) != 0 {
				t.Errorf("Instrument added %d API options", len(cfg.APIOptions))
			}
			fn := func(context.Context, string) (string, error) { return "", nil }
			if reflect.ValueOf(Wrap(tr, fn)).Pointer() != reflect.ValueOf(fn).Pointer() {
				t.Error("Wrap(nil, fn) is not fn")
			}
			tr.Flush(context.Background())
		})
	}
}

func TestProcessDefaultIsOffInTests(t *testing.T) {
	// GIVEN the test environment (no collector) WHEN the process default is made THEN off
	if Enabled(func(k string) string { return map[string]string{}[k] }) {
		t.Fatal("Enabled on an empty environment")
	}
	if !Enabled(env(map[string]string{EnvMode: "otel"})) {
		t.Error("ADPULSE_TRACING=otel is not enabled")
	}
	fake := &fakeAWS{status: 200, body: `{"TableNames":[]}`}
	cfg, err := AWSConfig(context.Background(), config.WithRegion("eu-west-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("k", "s", "")))
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTPClient = fake
	if tr, err := Default(); tr != nil || err != nil {
		t.Fatalf("Default() = %v, %v; want off", tr, err)
	}
	if _, err := dynamodb.NewFromConfig(cfg).ListTables(context.Background(),
		&dynamodb.ListTablesInput{}); err != nil {
		t.Fatal(err)
	}
	if len(fake.headers) != 1 || fake.headers[0] != "" {
		t.Errorf("X-Amzn-Trace-Id sent %q with tracing off, want none", fake.headers)
	}
}

func TestHeader(t *testing.T) {
	cases := []struct {
		header  string
		ok      bool
		sampled bool
	}{
		{invocationHeader, true, true},
		{"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0", true,
			false},
		{"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8", true, false},
		{"Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1", false, false}, // no parent
		{"Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8", false, false},
		{"Root=1-5759e988-bd86;Parent=53995c3f42cd8ad8", false, false},
		{"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=0000000000000000", false, false},
		{"", false, false},
	}
	for _, tc := range cases {
		sc, ok := ParseHeader(tc.header)
		if ok != tc.ok || ok && sc.IsSampled() != tc.sampled {
			t.Errorf("ParseHeader(%q) = %v sampled %v, want %v sampled %v", tc.header, ok,
				sc.IsSampled(), tc.ok, tc.sampled)
			continue
		}
		if ok {
			back, _ := ParseHeader(FormatHeader(sc))
			if !back.Equal(sc) {
				t.Errorf("FormatHeader(%q) does not parse back: %q", tc.header, FormatHeader(sc))
			}
		}
	}
}

func TestXRayIDs(t *testing.T) {
	// GIVEN the generator WHEN making ids THEN the trace id parses as an X-Ray Root
	tid, sid := XRayIDs{}.NewIDs(context.Background())
	if !tid.IsValid() || !sid.IsValid() {
		t.Fatalf("invalid ids %s %s", tid, sid)
	}
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid})
	if back, ok := ParseHeader(FormatHeader(sc)); !ok || back.TraceID() != tid {
		t.Errorf("trace id %s does not round-trip as an X-Ray header", tid)
	}
}

// find returns the span named name, or nil.
func find(spans tracetest.SpanStubs, name string) *tracetest.SpanStub {
	for i := range spans {
		if spans[i].Name == name {
			return &spans[i]
		}
	}
	return nil
}

// names lists the spans' names.
func names(spans tracetest.SpanStubs) []string {
	out := make([]string, 0, len(spans))
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}

var _ sdktrace.IDGenerator = XRayIDs{}
