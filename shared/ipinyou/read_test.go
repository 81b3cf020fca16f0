package ipinyou_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/adpulse/adpulse/shared/ipinyou"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestReadDirSortsAcrossFiles(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"imp.1.txt": line(map[int]string{1: "b", 2: "20131021100000000"}) + "\n" +
			line(map[int]string{1: "d", 2: "20131021120000000"}) + "\n",
		"clk.1.txt":   line(map[int]string{1: "b", 2: "20131021110000000", 3: "2"}) + "\n",
		"conv.1.txt":  line(map[int]string{1: "b", 2: "20131021130000000", 3: "3"}) + "\n",
		"city.en.txt": "City\tCity Name\n4\tshijiazhuang\n",
	})
	events, err := ipinyou.ReadDir(dir)
	if err != nil {
		t.Fatalf("ReadDir: %v", err)
	}
	var got []string
	for _, e := range events {
		got = append(got, e.EventID)
	}
	want := []string{"b-imp", "b-clk", "d-imp", "b-conv"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestReadDirErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"no log files", map[string]string{"city.en.txt": "x\n"}, "no imp.*, clk.* or conv.*"},
		{
			"malformed line names file and line",
			map[string]string{"clk.2.txt": line(nil) + "\nbroken\n"},
			"clk.2.txt:2: 1 tab-separated columns",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ipinyou.ReadDir(writeFiles(t, tc.files))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
