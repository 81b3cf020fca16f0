package lambdarun

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Build compiles the main package pkg (./functions/<folder>, relative to root) for the
// host into <stateDir>/bin/<name>/bootstrap and returns that path. The Go build cache
// makes a rebuild of unchanged code take well under a second.
func Build(ctx context.Context, root, pkg, stateDir, name string) (string, error) {
	out := filepath.Join(stateDir, "bin", name, "bootstrap")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", fmt.Errorf("build %s: %w", name, err)
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, msg)
	}
	return out, nil
}
