package meter

import (
	"context"
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
			u := Units(in.Parameters, out.Result, err)
			u.Calls, u.Requests = 1, attempts.Load()
			if err != nil {
				u.Errors = 1
			}
			m.Record(service, op, u)
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
