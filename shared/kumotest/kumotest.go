// Package kumotest starts the kumo AWS emulator for tests that need real AWS semantics
// (conditional writes, queues, streams) without an AWS account.
//
// The binary is found through KUMO_BIN, else at bin/kumo in the repository (make tools
// installs it there). A missing binary fails the test with the command that installs it;
// it never skips, so that a green run always means the tests ran. Setting
// AWS_ENDPOINT_URL instead points the tests at another emulator or account.
package kumotest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Start runs kumo on a free loopback port for the test and returns an AWS config pointed
// at it. The emulator stops when the test ends.
func Start(t testing.TB) aws.Config {
	t.Helper()
	endpoint := os.Getenv("AWS_ENDPOINT_URL")
	if endpoint == "" {
		endpoint = startKumo(t)
	}

	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithBaseEndpoint(endpoint),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(
			"test", "test", "")),
		config.WithRetryMaxAttempts(5),
	)
	if err != nil {
		t.Fatalf("aws config: %v", err)
	}
	return cfg
}

// Binary returns the path of the kumo binary, or an error saying how to install it.
func Binary() (string, error) {
	if p := os.Getenv("KUMO_BIN"); p != "" {
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for ; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, "bin", "kumo")
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("kumo not found at %s: run `make tools` first", p)
			}
			return p, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no go.mod above the test; cannot find bin/kumo")
		}
	}
}

func startKumo(t testing.TB) string {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)

	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "KUMO_HOST=127.0.0.1", fmt.Sprintf("KUMO_PORT=%d", port))
	if err := cmd.Start(); err != nil {
		t.Fatalf("start kumo: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})

	endpoint := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(endpoint + "/health")
		if err == nil {
			resp.Body.Close()
			return endpoint
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("kumo did not answer on %s within 15 s", endpoint)
	return ""
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
