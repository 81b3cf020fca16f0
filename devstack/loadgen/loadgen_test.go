package loadgen_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/adpulse/adpulse/devstack/loadgen"
	"github.com/adpulse/adpulse/shared/totals"
)

func TestRunRefusesUnboundedOrRemoteLoad(t *testing.T) {
	reader := &totals.Reader{}
	tests := []struct {
		name string
		opts loadgen.Options
		want string
	}{
		{"remote host", loadgen.Options{APIURL: "https://api.example.com", MaxEvents: 1,
			Duration: time.Second, Totals: reader, Tenant: "t"}, "not a loopback"},
		{"no count limit", loadgen.Options{APIURL: "http://127.0.0.1:3000",
			Duration: time.Second, Totals: reader, Tenant: "t"}, "count limit and a time limit"},
		{"no time limit", loadgen.Options{APIURL: "http://127.0.0.1:3000", MaxEvents: 10,
			Totals: reader, Tenant: "t"}, "count limit and a time limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadgen.Run(context.Background(), tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestUpdateDocKeepsOtherSections(t *testing.T) {
	path := filepath.Join(t.TempDir(), "benchmarks.md")
	orig := "# adpulse benchmarks\n\n## Reports\n\ntheirs\n\n## Pipeline\n\nold\n\n## Capping\n\nalso theirs\n"
	if err := os.WriteFile(path, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	err := loadgen.UpdateDoc(path, []string{"Pipeline", "Bill"},
		map[string]string{"Pipeline": "new figures", "Bill": "dollars"})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := "# adpulse benchmarks\n\n## Reports\n\ntheirs\n\n## Pipeline\n\nnew figures\n\n" +
		"## Capping\n\nalso theirs\n\n## Bill\n\ndollars\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestParseGoBench(t *testing.T) {
	out := "pkg: github.com/adpulse/adpulse/shared/event\n" +
		"BenchmarkPack500-2   162   9878628 ns/op   50614 events/s   1141198 B/op   4485 allocs/op\n" +
		"PASS\n"
	got := loadgen.ParseGoBench(strings.NewReader(out))
	if len(got) != 1 || got[0].Package != "shared/event" || got[0].N != 162 ||
		got[0].Metrics["events/s"] != 50614 || got[0].Metrics["allocs/op"] != 4485 {
		t.Errorf("got %+v", got)
	}
}
