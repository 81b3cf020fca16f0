package tracing

import (
	"context"
	"errors"
	"fmt"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Middleware ids on the SDK stack.
const (
	callID   = "adpulse/tracing"
	headerID = "adpulse/tracing/header"
)

// Attributes of an AWS SDK span, under the names the ADOT collector's X-Ray exporter reads
// to make it an AWS subsegment (service, operation, request id).
const (
	// RPCSystemKey is "aws-api" on every AWS SDK span.
	RPCSystemKey = attribute.Key("rpc.system")
	// RPCServiceKey is the SDK's service id, such as "DynamoDB".
	RPCServiceKey = attribute.Key("rpc.service")
	// RPCMethodKey is the operation, such as "UpdateItem".
	RPCMethodKey = attribute.Key("rpc.method")
)

// sdkMiddleware adds, to each SDK operation's stack, a client span around the call
// (Initialize step, so retries are inside it) and the X-Amzn-Trace-Id header naming that
// span on each attempt (Build step, before the SDK's own recursion-detection middleware,
// which then leaves the header alone).
func (t *Tracing) sdkMiddleware(stack *middleware.Stack) error {
	call := middleware.InitializeMiddlewareFunc(callID, func(ctx context.Context,
		in middleware.InitializeInput, next middleware.InitializeHandler) (
		middleware.InitializeOutput, middleware.Metadata, error) {
		service, op := awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)
		ctx, span := t.tracer.Start(ctx, service+"."+op, trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(RPCSystemKey.String("aws-api"), RPCServiceKey.String(service),
				RPCMethodKey.String(op), semconv.CloudRegion(awsmiddleware.GetRegion(ctx))))
		defer span.End()

		out, md, err := next.HandleInitialize(ctx, in)
		if id, ok := awsmiddleware.GetRequestIDMetadata(md); ok {
			span.SetAttributes(semconv.AWSRequestID(id))
		}
		if err != nil {
			var re *awshttp.ResponseError
			if errors.As(err, &re) {
				span.SetAttributes(semconv.HTTPResponseStatusCode(re.HTTPStatusCode()),
					semconv.AWSRequestID(re.ServiceRequestID()))
			}
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		return out, md, err
	})
	header := middleware.BuildMiddlewareFunc(headerID, func(ctx context.Context,
		in middleware.BuildInput, next middleware.BuildHandler) (
		middleware.BuildOutput, middleware.Metadata, error) {
		sc := trace.SpanContextFromContext(ctx)
		if req, ok := in.Request.(*smithyhttp.Request); ok && sc.IsValid() {
			req.Header.Set(HeaderName, FormatHeader(sc))
		}
		return next.HandleBuild(ctx, in)
	})
	if err := stack.Initialize.Add(call, middleware.After); err != nil {
		return fmt.Errorf("tracing: add sdk span middleware: %w", err)
	}
	if err := stack.Build.Add(header, middleware.Before); err != nil {
		return fmt.Errorf("tracing: add trace header middleware: %w", err)
	}
	return nil
}
