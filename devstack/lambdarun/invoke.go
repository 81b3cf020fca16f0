package lambdarun

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// Result is the outcome of one synchronous invocation.
type Result struct {
	Payload       []byte // the function's response, or its error document
	FunctionError string // "Unhandled" when the function failed or timed out, else empty
	Duration      time.Duration
}

// startupGrace bounds how long an invocation waits for a freshly started bootstrap to
// poll kumo for the first time.
const startupGrace = 10 * time.Second

// Invoke invokes function name (its physical name) synchronously and returns its response.
// The call is bounded by the function's timeout plus a margin; kumo itself ends an
// invocation at the function's timeout with a Sandbox.Timedout function error.
func (r *Runner) Invoke(ctx context.Context, name string, payload []byte) (Result, error) {
	r.mu.Lock()
	fn, ok := r.funcs[name]
	r.mu.Unlock()
	if !ok {
		return Result{}, fmt.Errorf("invoke %s: function not running", name)
	}
	ctx, cancel := context.WithTimeout(ctx, fn.Timeout+startupGrace+5*time.Second)
	defer cancel()
	start := time.Now()
	for {
		out, err := r.client.Invoke(ctx, &lambda.InvokeInput{
			FunctionName: aws.String(name), Payload: payload})
		if isNoHandler(err) && time.Since(start) < startupGrace {
			select {
			case <-ctx.Done():
				return Result{}, fmt.Errorf("invoke %s: %w", name, ctx.Err())
			case <-time.After(50 * time.Millisecond):
				continue
			}
		}
		if err != nil {
			return Result{}, fmt.Errorf("invoke %s: %w", name, err)
		}
		return Result{Payload: out.Payload, FunctionError: aws.ToString(out.FunctionError),
			Duration: time.Since(start)}, nil
	}
}

// Function returns the template function running under physical name.
func (r *Runner) Function(name string) (fn Function, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f, ok := r.funcs[name]
	return Function{Name: f.Name, ARN: f.ARN, Timeout: f.Timeout}, ok
}

// Function is what callers of a running function need to know about it.
type Function struct {
	Name    string
	ARN     string
	Timeout time.Duration
}
