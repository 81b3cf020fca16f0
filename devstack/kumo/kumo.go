// Package kumo starts the kumo AWS emulator as a child process and builds SDK
// configuration pointed at it.
package kumo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/adpulse/adpulse/devstack/proc"
)

// Region and dummy credentials every local client and function uses.
const (
	Region    = "us-east-1"
	AccessKey = "test"
	SecretKey = "test"
)

// ErrNoBinary means kumo is not installed where the stack looks for it.
var ErrNoBinary = errors.New("kumo binary not found: run make tools")

// FindBin returns the kumo binary: $KUMO_BIN if set, else <root>/bin/kumo.
func FindBin(root string) (string, error) {
	bin := os.Getenv("KUMO_BIN")
	if bin == "" {
		bin = filepath.Join(root, "bin", "kumo")
	}
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("%w (looked for %s)", ErrNoBinary, bin)
	}
	return bin, nil
}

// Server is a running kumo.
type Server struct {
	proc *proc.Process
	port int
}

// Start runs bin on 127.0.0.1:port (0 picks a free port), logging to logPath, and waits
// until GET /health answers.
func Start(ctx context.Context, bin string, port int, logPath string) (*Server, error) {
	if port == 0 {
		p, err := FreePort()
		if err != nil {
			return nil, err
		}
		port = p
	} else if !PortFree(port) {
		return nil, fmt.Errorf("port 127.0.0.1:%d is taken (a stack already up? make down)",
			port)
	}
	logf, err := proc.OpenLog(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "KUMO_HOST=127.0.0.1", "KUMO_PORT="+strconv.Itoa(port),
		"KUMO_DATA_DIR=")
	cmd.Stdout, cmd.Stderr = logf, logf
	p, err := proc.Start(cmd)
	if err != nil {
		return nil, fmt.Errorf("start kumo: %w", err)
	}
	s := &Server{proc: p, port: port}
	if err := s.waitHealthy(ctx); err != nil {
		_ = p.Stop(time.Second)
		return nil, err
	}
	return s, nil
}

// waitHealthy polls GET /health until it answers 200, kumo exits, or 30 s pass.
func (s *Server) waitHealthy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.Endpoint()+"/health", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.proc.Done():
			return fmt.Errorf("kumo exited during start-up: %v (see its log)", s.proc.Err())
		case <-ctx.Done():
			return fmt.Errorf("wait for kumo health: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Endpoint returns kumo's base URL.
func (s *Server) Endpoint() string { return "http://127.0.0.1:" + strconv.Itoa(s.port) }

// Port returns the port kumo listens on.
func (s *Server) Port() int { return s.port }

// PID returns kumo's process id.
func (s *Server) PID() int { return s.proc.PID() }

// Close stops kumo. Its state lives in memory only, so it is given little grace: a
// graceful kumo shutdown takes over a second for nothing to save.
func (s *Server) Close() error { return s.proc.Stop(300 * time.Millisecond) }

// Config returns SDK configuration for the emulator at endpoint: region us-east-1,
// dummy static credentials and the standard retryer.
func Config(endpoint string) aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
		BaseEndpoint: aws.String(endpoint),
		// The SDK sometimes fails a large read with "use of closed network connection"
		// against local emulators; the standard retryer absorbs it.
		RetryMaxAttempts: 5,
	}
}

// FreePort returns a TCP port free on 127.0.0.1 at the time of the call.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// PortFree reports whether 127.0.0.1:port can be listened on.
func PortFree(port int) bool {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}
