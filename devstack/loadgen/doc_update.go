package loadgen

import (
	"fmt"
	"os"
	"slices"
	"strings"
)

// UpdateDoc replaces the body of each named "## " section of the markdown file at path
// (up to the next "## " heading) and appends the sections it lacks, in the order given.
// Every other section is kept as it is. A missing file is created.
func UpdateDoc(path string, order []string, sections map[string]string) error {
	raw, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	text := string(raw)
	if text == "" {
		text = "# adpulse benchmarks\n"
	}
	lines := strings.SplitAfter(strings.TrimRight(text, "\n")+"\n", "\n")
	lines = lines[:len(lines)-1] // the empty string after the last newline
	for _, name := range order {
		body := strings.TrimRight(sections[name], "\n") + "\n\n"
		start := slices.IndexFunc(lines, func(l string) bool {
			return strings.TrimSpace(l) == "## "+name
		})
		if start < 0 {
			lines = append(lines, "\n", "## "+name+"\n", "\n", body)
			continue
		}
		end := start + 1
		for end < len(lines) && !strings.HasPrefix(lines[end], "## ") {
			end++
		}
		lines = slices.Replace(lines, start+1, end, "\n", body)
	}
	out := strings.TrimRight(strings.Join(lines, ""), "\n") + "\n"
	return os.WriteFile(path, []byte(out), 0o644)
}
