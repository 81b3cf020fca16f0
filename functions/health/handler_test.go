package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/adpulse/adpulse/shared/kumotest"
)

// stack creates a table, a stream and a queue on kumo and returns the environment that
// names them.
func stack(t *testing.T, cfg aws.Config) map[string]string {
	t.Helper()
	ctx := context.Background()
	kumotest.CreateTable(t, dynamodb.NewFromConfig(cfg), "Aggregates", "pk", "")
	if _, err := kinesis.NewFromConfig(cfg).CreateStream(ctx, &kinesis.CreateStreamInput{
		StreamName: aws.String("Events"), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	q, err := sqs.NewFromConfig(cfg).CreateQueue(ctx,
		&sqs.CreateQueueInput{QueueName: aws.String("IngestFailures")})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"HEALTH_TABLES": "Aggregates", "STREAM_NAME": "Events",
		"HEALTH_QUEUE_URLS": *q.QueueUrl, "HEALTH_TIMEOUT_MS": "2000"}
}

func get(t *testing.T, h *Handler) (int, report, string) {
	t.Helper()
	resp, err := h.Handle(context.Background(), events.APIGatewayProxyRequest{
		HTTPMethod: http.MethodGet, Path: "/v1/health"})
	if err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal([]byte(resp.Body), &rep); err != nil {
		t.Fatalf("body %q: %v", resp.Body, err)
	}
	return resp.StatusCode, rep, resp.Body
}

func TestHealthOnKumo(t *testing.T) {
	cfg := kumotest.Start(t)
	env := stack(t, cfg)

	tests := []struct {
		name   string
		change map[string]string
		status int
		want   report
	}{
		{"every dependency answers", nil, http.StatusOK,
			report{"ok", map[string]string{"store": "ok", "stream": "ok", "queue": "ok"}}},
		{"a missing table", map[string]string{"HEALTH_TABLES": "Aggregates,NoSuchTable"},
			http.StatusServiceUnavailable,
			report{"degraded", map[string]string{"store": "fail", "stream": "ok", "queue": "ok"}}},
		{"a missing stream", map[string]string{"STREAM_NAME": "NoSuchStream"},
			http.StatusServiceUnavailable,
			report{"degraded", map[string]string{"store": "ok", "stream": "fail", "queue": "ok"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := map[string]string{}
			for k, v := range env {
				e[k] = v
			}
			for k, v := range tc.change {
				e[k] = v
			}
			h, err := newHandlerOn(cfg, func(k string) string { return e[k] })
			if err != nil {
				t.Fatal(err)
			}
			status, rep, body := get(t, h)
			if status != tc.status || rep.Status != tc.want.Status ||
				len(rep.Checks) != len(tc.want.Checks) {
				t.Fatalf("status %d body %s, want %d %+v", status, body, tc.status, tc.want)
			}
			for k, v := range tc.want.Checks {
				if rep.Checks[k] != v {
					t.Fatalf("check %s = %q, want %q (body %s)", k, rep.Checks[k], v, body)
				}
			}
			// Nothing internal leaks: no resource names, no error text.
			for _, secret := range []string{"NoSuch", "Aggregates", "Events", "IngestFailures",
				"arn:", "error", "http"} {
				if strings.Contains(body, secret) {
					t.Fatalf("body leaks %q: %s", secret, body)
				}
			}
		})
	}
}

func TestSlowCheckTimesOut(t *testing.T) {
	h := &Handler{Timeout: 20_000_000, Checks: map[string]Check{ // 20 ms
		"store": func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() },
		"queue": func(context.Context) error { return nil },
	}}
	status, rep, _ := get(t, h)
	if status != http.StatusServiceUnavailable || rep.Checks["store"] != "fail" ||
		rep.Checks["queue"] != "ok" {
		t.Fatalf("status %d report %+v", status, rep)
	}
}

func TestOnlyGet(t *testing.T) {
	h := &Handler{Checks: map[string]Check{"store": func(context.Context) error {
		return errors.New("not called")
	}}}
	resp, _ := h.Handle(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: "POST"})
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

func TestEnvironmentRequired(t *testing.T) {
	if _, err := newHandlerOn(aws.Config{}, func(string) string { return "" }); err == nil {
		t.Fatal("no error without environment")
	}
}

func TestReportIsReusedWithinMaxAge(t *testing.T) {
	tests := []struct {
		name       string
		maxAge     time.Duration
		wantProbes int
	}{
		{"no max age probes every time", 0, 3},
		{"a report within max age is answered again", time.Hour, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			probes := 0
			h := &Handler{MaxAge: tc.maxAge, Checks: map[string]Check{
				"store": func(context.Context) error { probes++; return nil },
			}}
			for range 3 {
				if status, rep, _ := get(t, h); status != http.StatusOK || rep.Status != "ok" {
					t.Fatalf("status %d report %+v", status, rep)
				}
			}
			if probes != tc.wantProbes {
				t.Fatalf("probes = %d, want %d", probes, tc.wantProbes)
			}
		})
	}
}
