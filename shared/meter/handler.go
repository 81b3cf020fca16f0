package meter

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"time"
)

// UsageMessage is the message of the line Handler logs after each invocation.
const UsageMessage = "aws usage"

// Handler wraps a Lambda handler so that each invocation ends with one INFO line,
// UsageMessage, carrying what the AWS calls made since the previous line used (Attr) and
// their DynamoDB usage by table (TablesAttr, when there was any), the invocation's
// duration, the duration Lambda bills (rounded up to the millisecond) and the function's
// memory, from which GB-seconds follow.
func Handler[In, Out any](m *Meter, log *slog.Logger,
	fn func(context.Context, In) (Out, error)) func(context.Context, In) (Out, error) {
	memory, _ := strconv.Atoi(os.Getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"))
	return func(ctx context.Context, in In) (Out, error) {
		start := time.Now()
		out, err := fn(ctx, in)
		d := time.Since(start)
		billed := (d + time.Millisecond - 1) / time.Millisecond
		usage, tables := m.TakeAll()
		attrs := []any{Attr(usage)}
		if len(tables) > 0 {
			attrs = append(attrs, TablesAttr(tables))
		}
		attrs = append(attrs, slog.Float64("durationMs", float64(d.Microseconds())/1000),
			slog.Int64("billedMs", int64(billed)), slog.Int("memoryMB", memory))
		log.InfoContext(ctx, UsageMessage, attrs...)
		return out, err
	}
}

// Line is the JSON of one UsageMessage line, for readers of function logs.
type Line struct {
	Message    string   `json:"message"`
	AWS        Snapshot `json:"aws"`
	Tables     Snapshot `json:"awsTables,omitempty"` // DynamoDB usage by table label
	DurationMs float64  `json:"durationMs"`
	BilledMs   int64    `json:"billedMs"`
	MemoryMB   int      `json:"memoryMB"`
}
