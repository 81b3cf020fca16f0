package template_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/adpulse/adpulse/devstack/template"
)

// TestSynthesizedTemplate resolves everything the local stack needs from the template
// that make synth writes (make test synthesizes it first).
func TestSynthesizedTemplate(t *testing.T) {
	path := "../../cdk.out/AdpulseStack.template.json"
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no %s: run make synth to check the real template", path)
	}
	tpl, err := template.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	vals := template.NewValues(tpl, "http://127.0.0.1:4566")
	fns, err := vals.Functions()
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range fns {
		if _, err := os.Stat(filepath.Join("../../functions", fn.Folder)); err != nil {
			t.Errorf("function %s: folder functions/%s: %v", fn.LogicalID, fn.Folder, err)
		}
	}
	ms, err := vals.Mappings()
	if err != nil || len(ms) != 1 || ms[0].OnFailureID == "" {
		t.Fatalf("mappings = %+v, %v; want one with an on-failure queue", ms, err)
	}
	apis, err := vals.APIs()
	if err != nil || len(apis) != 1 || len(apis[0].Routes) == 0 {
		t.Fatalf("apis = %+v, %v; want one with routes", apis, err)
	}
	for _, prefix := range []string{"Events", "ApiKeys", "Aggregates", "EventClaims",
		"IngestFailures", "Ingest", "Aggregate"} {
		if _, err := tpl.FindByPrefix(prefix); err != nil {
			t.Errorf("FindByPrefix(%q): %v", prefix, err)
		}
	}
}
