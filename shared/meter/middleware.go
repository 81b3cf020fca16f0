package meter

import (
	"context"
	"maps"
	"slices"
	"sync/atomic"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// Middleware ids on the SDK stack.
const (
	callID    = "adpulse/meter"
	attemptID = "adpulse/meter/attempt"
)

// attemptsKey holds the attempt counter of the call in progress.
type attemptsKey struct{}

// recordTables records each table's share of a DynamoDB call. The call itself (calls,
// requests, errors) counts on the first table by label, so that the tables of an
// operation sum to its total; items and units go to the table they were written to or
// read from.
func (m *Meter) recordTables(op string, call Usage, tables map[string]Usage) {
	byLabel := map[string]Usage{}
	for name, t := range tables {
		l := m.label(name)
		byLabel[l] = byLabel[l].Add(t)
	}
	for i, l := range slices.Sorted(maps.Keys(byLabel)) {
		t := byLabel[l]
		if i == 0 {
			t.Calls, t.Requests, t.Errors = call.Calls, call.Requests, call.Errors
		}
		m.RecordTable(l, op, t)
	}
}

// Install returns the SDK API option that meters every call of the clients built from
// the config into m: cfg.APIOptions = append(cfg.APIOptions, meter.Install(m)).
//
// Units are counted once per call, from the typed input and output (Initialize step), and
// attempts once per HTTP request, after the retry middleware (Finalize step).
func Install(m *Meter) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		call := middleware.InitializeMiddlewareFunc(callID, func(ctx context.Context,
			in middleware.InitializeInput, next middleware.InitializeHandler) (
			middleware.InitializeOutput, middleware.Metadata, error) {
			var attempts atomic.Int64
			ctx = middleware.WithStackValue(ctx, attemptsKey{}, &attempts)
			out, md, err := next.HandleInitialize(ctx, in)

			service, op := awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)
			tables := dynamoTableUnits(in.Parameters, out.Result, err)
			var u Usage
			if tables != nil {
				for _, t := range tables {
					u = u.Add(t)
				}
			} else {
				u = Units(in.Parameters, out.Result, err)
			}
			u.Calls, u.Requests = 1, attempts.Load()
			if err != nil {
				u.Errors = 1
			}
			m.Record(service, op, u)
			m.recordTables(op, u, tables)
			return out, md, err
		})
		attempt := middleware.FinalizeMiddlewareFunc(attemptID, func(ctx context.Context,
			in middleware.FinalizeInput, next middleware.FinalizeHandler) (
			middleware.FinalizeOutput, middleware.Metadata, error) {
			if n, ok := middleware.GetStackValue(ctx, attemptsKey{}).(*atomic.Int64); ok {
				n.Add(1)
			}
			return next.HandleFinalize(ctx, in)
		})
		if err := stack.Initialize.Add(call, middleware.After); err != nil {
			return err
		}
		return stack.Finalize.Add(attempt, middleware.After)
	}
}
