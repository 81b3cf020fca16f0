package tracing

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// HeaderName is the HTTP header of the X-Ray trace context.
const HeaderName = "X-Amzn-Trace-Id"

// lambdaTraceKey is the context key under which aws-lambda-go keeps the invocation's
// X-Ray header (it also sets _X_AMZN_TRACE_ID, process-wide).
const lambdaTraceKey = "x-amzn-trace-id"

// withInvocationParent returns ctx with the invocation's X-Ray segment as remote parent,
// from the Lambda context or else _X_AMZN_TRACE_ID; ctx as it is when neither parses.
func withInvocationParent(ctx context.Context) context.Context {
	header, _ := ctx.Value(lambdaTraceKey).(string)
	if header == "" {
		header = os.Getenv("_X_AMZN_TRACE_ID")
	}
	sc, ok := ParseHeader(header)
	if !ok {
		return ctx
	}
	return trace.ContextWithRemoteSpanContext(ctx, sc)
}

// ParseHeader reads an X-Ray trace header such as
// "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1" into a
// remote span context; ok is false without a valid Root and Parent. Sampled=1 marks it
// sampled; anything else (0, ? or none) leaves it unsampled, as X-Ray decided.
func ParseHeader(header string) (sc trace.SpanContext, ok bool) {
	var cfg trace.SpanContextConfig
	var root, parent bool
	for field := range strings.SplitSeq(header, ";") {
		key, value, _ := strings.Cut(strings.TrimSpace(field), "=")
		switch key {
		case "Root":
			cfg.TraceID, root = parseRoot(value)
		case "Parent":
			id, err := trace.SpanIDFromHex(value)
			cfg.SpanID, parent = id, err == nil
		case "Sampled":
			if value == "1" {
				cfg.TraceFlags = trace.FlagsSampled
			}
		}
	}
	if !root || !parent {
		return trace.SpanContext{}, false
	}
	cfg.Remote = true
	sc = trace.NewSpanContext(cfg)
	return sc, sc.IsValid()
}

// parseRoot reads "1-<8 hex: epoch seconds>-<24 hex>" into a trace id.
func parseRoot(root string) (trace.TraceID, bool) {
	version, rest, _ := strings.Cut(root, "-")
	epoch, random, _ := strings.Cut(rest, "-")
	if version != "1" || len(epoch) != 8 || len(random) != 24 {
		return trace.TraceID{}, false
	}
	id, err := trace.TraceIDFromHex(epoch + random)
	return id, err == nil
}

// FormatHeader writes sc as an X-Ray trace header: sc's trace id as Root, its span id as
// Parent, and its sampling flag.
func FormatHeader(sc trace.SpanContext) string {
	tid, sid := sc.TraceID(), sc.SpanID()
	t := hex.EncodeToString(tid[:])
	sampled := "0"
	if sc.IsSampled() {
		sampled = "1"
	}
	return "Root=1-" + t[:8] + "-" + t[8:] + ";Parent=" + hex.EncodeToString(sid[:]) +
		";Sampled=" + sampled
}

// XRayIDs generates ids X-Ray accepts: a trace id starts with the epoch seconds of its
// start, as in X-Ray's own Root, then 12 random bytes; a span id is 8 random bytes. Only a
// root span (tracing with no invocation header, as in tests) takes a new trace id.
type XRayIDs struct{}

// NewIDs returns a new trace id and span id.
func (XRayIDs) NewIDs(context.Context) (trace.TraceID, trace.SpanID) {
	var tid trace.TraceID
	binary.BigEndian.PutUint32(tid[:4], uint32(time.Now().Unix()))
	binary.BigEndian.PutUint64(tid[4:12], rand.Uint64())
	binary.BigEndian.PutUint32(tid[12:], rand.Uint32())
	return tid, newSpanID()
}

// NewSpanID returns a new span id for a span of the trace traceID.
func (XRayIDs) NewSpanID(context.Context, trace.TraceID) trace.SpanID { return newSpanID() }

// newSpanID returns 8 random bytes that are not all zero.
func newSpanID() trace.SpanID {
	var sid trace.SpanID
	for !sid.IsValid() {
		binary.BigEndian.PutUint64(sid[:], rand.Uint64())
	}
	return sid
}
