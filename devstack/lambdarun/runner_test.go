package lambdarun_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/devstack/internal/kumotest"
	"github.com/adpulse/adpulse/devstack/lambdarun"
	"github.com/adpulse/adpulse/devstack/template"
)

func TestRunnerInvokesEcho(t *testing.T) {
	srv := kumotest.Start(t)
	r := lambdarun.New(kumotest.Root(t), t.TempDir(), srv.Endpoint(), srv.Port(),
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() { _ = r.Close() })
	fn := template.Function{Name: "Echo", Folder: "echo", Timeout: 3 * time.Second,
		MemoryMB: 128, Env: map[string]string{"STREAM_NAME": "Events"}}
	ctx := context.Background()
	spec := lambdarun.Spec{Function: fn, Package: "./devstack/testdata/echo", Instances: 3}
	t0 := time.Now()
	if err := r.Start(ctx, spec); err != nil {
		t.Fatal(err)
	}

	// Invoke concurrently: three instances serve six requests.
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			req, _ := json.Marshal(events.APIGatewayProxyRequest{Path: "/events", Body: "x"})
			res, err := r.Invoke(ctx, "Echo", req)
			if err != nil || res.FunctionError != "" {
				t.Errorf("invoke %d: %v %s", i, err, res.FunctionError)
				return
			}
			var resp events.APIGatewayProxyResponse
			if err := json.Unmarshal(res.Payload, &resp); err != nil || resp.StatusCode != 201 {
				t.Errorf("invoke %d: response %s", i, res.Payload)
			}
		})
	}
	wg.Wait()
	t.Logf("start+6 invokes %v", time.Since(t0))

	// A function error comes back as FunctionError, and the instance keeps serving.
	t2 := time.Now()
	req, _ := json.Marshal(events.APIGatewayProxyRequest{Path: "/events/crash"})
	res, err := r.Invoke(ctx, "Echo", req)
	if err != nil || res.FunctionError == "" {
		t.Errorf("crash: err %v, FunctionError %q, payload %s", err, res.FunctionError,
			res.Payload)
	}
	t.Logf("crash %v %s", time.Since(t2), res.Payload)
	if n := len(r.PIDs()); n != 3 {
		t.Errorf("running bootstraps = %d, want 3", n)
	}
	t1 := time.Now()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("close %v", time.Since(t1))
	if n := len(r.PIDs()); n != 0 {
		t.Errorf("bootstraps after Close = %d, want 0", n)
	}
}
