package main

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/adpulse/adpulse/shared/httpapi"
)

// DefaultTimeout bounds each dependency check.
const DefaultTimeout = 2 * time.Second

// DefaultMaxAge is how long the deployed function answers with its last report before it
// probes again. The route is public, and the describe calls it makes have low per-account
// rate limits (Kinesis DescribeStreamSummary: 20 a second), so a flood of health requests
// must not turn into a flood of probes.
const DefaultMaxAge = 5 * time.Second

// Check probes one dependency; an error means it is not usable now.
type Check func(ctx context.Context) error

// Handler answers GET /v1/health.
type Handler struct {
	Checks  map[string]Check // by the public name of the dependency: store, stream, queue
	Timeout time.Duration    // of each check; DefaultTimeout when zero
	MaxAge  time.Duration    // a report younger than this is answered again; zero: never
	Log     *slog.Logger

	mu     sync.Mutex // guards last and lastAt
	last   report
	lastAt time.Time
}

// report is the answer: "ok" or "degraded", and "ok" or "fail" per check. It names no
// resource and carries no error text.
type report struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// Handle answers 200 when every check passes, 503 otherwise, from a report at most MaxAge
// old.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayProxyRequest) (
	events.APIGatewayProxyResponse, error) {
	r := httpapi.NewResponder(&req, nil)
	if req.HTTPMethod != http.MethodGet {
		return r.Problem(http.StatusMethodNotAllowed, httpapi.Problem{
			Code: "method_not_allowed", Message: "use GET"}, map[string]string{"Allow": "GET"}), nil
	}
	start := time.Now()
	rep, cached := h.current(ctx)
	status := http.StatusOK
	if rep.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	h.log().InfoContext(ctx, "health", "status", rep.Status, "cached", cached,
		"durationMs", time.Since(start).Milliseconds())
	return r.JSON(status, rep, nil), nil
}

// current returns the last report while it is younger than MaxAge, else probes anew.
func (h *Handler) current(ctx context.Context) (rep report, cached bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.MaxAge > 0 && !h.lastAt.IsZero() && time.Since(h.lastAt) < h.MaxAge {
		return h.last, true
	}
	h.last, h.lastAt = h.probe(ctx), time.Now()
	return h.last, false
}

// probe runs every check at once, each within the timeout.
func (h *Handler) probe(ctx context.Context) report {
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	rep := report{Status: "ok", Checks: make(map[string]string, len(h.Checks))}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, check := range h.Checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			err := check(cctx)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				// The cause goes to the log only, never to the caller.
				h.log().WarnContext(ctx, "health check failed", "check", name, "err", err)
				rep.Checks[name], rep.Status = "fail", "degraded"
				return
			}
			rep.Checks[name] = "ok"
		}()
	}
	wg.Wait()
	return rep
}

func (h *Handler) log() *slog.Logger {
	if h.Log == nil {
		return slog.Default()
	}
	return h.Log
}

// Tables checks that every table is ACTIVE (or being updated, which still serves).
func Tables(db *dynamodb.Client, names ...string) Check {
	return func(ctx context.Context) error {
		for _, name := range names {
			out, err := db.DescribeTable(ctx,
				&dynamodb.DescribeTableInput{TableName: aws.String(name)})
			if err != nil {
				return err
			}
			if s := out.Table.TableStatus; s != "ACTIVE" && s != "UPDATING" {
				return &stateError{what: name, state: string(s)}
			}
		}
		return nil
	}
}

// Stream checks that the stream is ACTIVE (or being updated).
func Stream(client *kinesis.Client, name string) Check {
	return func(ctx context.Context) error {
		out, err := client.DescribeStreamSummary(ctx,
			&kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
		if err != nil {
			return err
		}
		if s := out.StreamDescriptionSummary.StreamStatus; s != "ACTIVE" && s != "UPDATING" {
			return &stateError{what: name, state: string(s)}
		}
		return nil
	}
}

// Queues checks that every queue answers.
func Queues(client *sqs.Client, urls ...string) Check {
	return func(ctx context.Context) error {
		for _, url := range urls {
			if _, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
				QueueUrl: aws.String(url)}); err != nil {
				return err
			}
		}
		return nil
	}
}

type stateError struct{ what, state string }

func (e *stateError) Error() string { return e.what + " is " + e.state }
