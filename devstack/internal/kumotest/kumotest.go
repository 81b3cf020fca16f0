// Package kumotest starts a real kumo for tests on a free port. It fails the test, never
// skips it, when kumo is not installed.
package kumotest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/adpulse/adpulse/devstack/kumo"
)

// Root returns the repository root: the nearest directory above the test with a go.mod.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// Start runs kumo ($KUMO_BIN, else <root>/bin/kumo) on a free port until the test ends.
func Start(t testing.TB) *kumo.Server {
	t.Helper()
	bin, err := kumo.FindBin(Root(t))
	if err != nil {
		t.Fatalf("%v: the local-stack tests need kumo (make tools, or set KUMO_BIN)", err)
	}
	srv, err := kumo.Start(context.Background(), bin, 0, filepath.Join(t.TempDir(), "kumo.log"))
	if err != nil {
		t.Fatalf("start kumo: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}
