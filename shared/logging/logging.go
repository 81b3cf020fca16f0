// Package logging builds the JSON slog logger every function uses: one JSON object per
// line, Lambda's key names (timestamp, level, message), and the request id on every line
// logged with the invocation's context.
package logging

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// New returns the function logger writing to stdout. The level comes from
// AWS_LAMBDA_LOG_LEVEL (set by Lambda from the function's logging config) or else
// LOG_LEVEL; default info.
func New() *slog.Logger {
	level := os.Getenv("AWS_LAMBDA_LOG_LEVEL")
	if level == "" {
		level = os.Getenv("LOG_LEVEL")
	}
	return NewWriter(os.Stdout, level)
}

// NewWriter returns a logger writing JSON lines to w at the named level.
func NewWriter(w io.Writer, level string) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level: parseLevel(level), ReplaceAttr: lambdacontext.ReplaceAttr,
	})
	return slog.New(requestIDHandler{h})
}

func parseLevel(s string) slog.Level {
	switch strings.ToLower(s) {
	case "trace", "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error", "fatal":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// requestIDHandler adds the Lambda request id of the record's context.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		r.AddAttrs(slog.String("requestId", lc.AwsRequestID))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}
