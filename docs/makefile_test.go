package docs_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// makeRule is one rule of the Makefile: its prerequisites and its recipe's commands (a
// command continued with a trailing backslash is one).
type makeRule struct {
	prereqs  []string
	commands []string
}

var ruleLine = regexp.MustCompile(`^([^\t#=:][^:=]*):([^=].*)?$`)

// readMakefile parses the rules of the project's Makefile, enough for its own style.
func readMakefile(t *testing.T) map[string]*makeRule {
	t.Helper()
	data, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]*makeRule{}
	var cur *makeRule
	continued := false
	for _, line := range strings.Split(string(data), "\n") {
		if cmd, ok := strings.CutPrefix(line, "\t"); ok && cur != nil {
			if continued {
				cur.commands[len(cur.commands)-1] += "\n" + cmd
			} else {
				cur.commands = append(cur.commands, cmd)
			}
			continued = strings.HasSuffix(cmd, "\\")
			continue
		}
		cur, continued = nil, false
		m := ruleLine.FindStringSubmatch(line)
		if m == nil || strings.TrimSpace(m[1]) == ".PHONY" {
			continue
		}
		deps, _, _ := strings.Cut(m[2], "##")
		cur = &makeRule{prereqs: strings.Fields(deps)}
		for _, target := range strings.Fields(m[1]) {
			rules[target] = cur
		}
	}
	return rules
}

// TestMakeRunWritesOnlyItsReport: `make run FORMAT=json > f` must leave valid JSON in f,
// so no recipe that make run depends on may have make echo its command to stdout (the
// synth recipe did), and what they print themselves goes to stderr.
func TestMakeRunWritesOnlyItsReport(t *testing.T) {
	rules := readMakefile(t)
	var order []string
	seen := map[string]bool{}
	var visit func(string)
	visit = func(target string) {
		r, ok := rules[target]
		if !ok || seen[target] {
			return
		}
		seen[target] = true
		order = append(order, target)
		for _, p := range r.prereqs {
			visit(p)
		}
	}
	visit("run")
	for _, want := range []string{"run", "tools", "synth", "build", "$(BIN)/kumo",
		".cdk/node_modules/.bin/cdk"} {
		if !seen[want] {
			t.Fatalf("make run does not depend on %s any more; the test needs updating", want)
		}
	}
	for _, target := range order {
		for _, cmd := range rules[target].commands {
			t.Run(target+": "+strings.Fields(cmd)[0], func(t *testing.T) {
				if !strings.HasPrefix(cmd, "@") {
					t.Errorf("make echoes %q to stdout: start it with @", cmd)
				}
				if strings.HasPrefix(cmd, "@echo") && !strings.Contains(cmd, ">&2") {
					t.Errorf("%q prints to stdout: send it to stderr (>&2)", cmd)
				}
				if strings.Contains(cmd, "npm ") && !strings.Contains(cmd, ">&2") &&
					!strings.Contains(cmd, "> /dev/null") {
					t.Errorf("npm prints a summary to stdout in %q: redirect it", cmd)
				}
			})
		}
	}
}
