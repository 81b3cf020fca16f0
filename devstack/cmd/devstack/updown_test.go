package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// TestPrintStateExportsWhatTheCLINeeds runs the export lines that make up prints in a
// shell and checks they set what `go run ./cmd/adpulse tenant create` (docs/auth.md)
// and the README's curl commands need.
func TestPrintStateExportsWhatTheCLINeeds(t *testing.T) {
	st := State{PID: 1, APIURL: "http://127.0.0.1:3000", Endpoint: "http://127.0.0.1:4566",
		TenantID: "t_1", APIKey: "ak_x", AdminEmail: "demo@example.com",
		AdminPassword: "pw-1", AccountsTable: "adpulse-Accounts-1A2B",
		APIKeysTable: "adpulse-ApiKeys-3C4D", Log: "/r/.devstack/logs/devstack.log"}
	var out bytes.Buffer
	printState(&out, st)

	// The export statements, with their continuation lines; not the TOKEN one, which
	// calls the API.
	var script []string
	cont := false
	for _, line := range strings.Split(out.String(), "\n") {
		if (strings.HasPrefix(line, "export ") && !strings.HasPrefix(line, "export TOKEN")) ||
			cont {
			script = append(script, line)
			cont = strings.HasSuffix(line, "\\")
		}
	}
	script = append(script, "env")
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	envOut, err := exec.Command(sh, "-c", strings.Join(script, "\n")).Output()
	if err != nil {
		t.Fatalf("the export lines fail in sh: %v\n%s", err, strings.Join(script, "\n"))
	}
	env := map[string]string{}
	for _, kv := range strings.Split(string(envOut), "\n") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	tests := []struct{ name, want string }{
		{"API", "http://127.0.0.1:3000"},
		{"KEY", "ak_x"},
		{"ADMIN_EMAIL", "demo@example.com"},
		{"ADMIN_PASSWORD", "pw-1"},
		{"ACCOUNTS_TABLE", "adpulse-Accounts-1A2B"},
		{"API_KEYS_TABLE", "adpulse-ApiKeys-3C4D"},
		{"AWS_ENDPOINT_URL", "http://127.0.0.1:4566"},
		{"AWS_REGION", "us-east-1"},
		{"AWS_ACCESS_KEY_ID", "test"},
		{"AWS_SECRET_ACCESS_KEY", "test"},
	}
	for _, tc := range tests {
		if got := env[tc.name]; got != tc.want {
			t.Errorf("%s = %q, want %q", tc.name, got, tc.want)
		}
	}
}
