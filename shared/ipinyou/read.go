package ipinyou

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/adpulse/adpulse/shared/event"
)

// maxLineBytes bounds one log line; real lines are under 1 KB.
const maxLineBytes = 1 << 20

// LineError is a line that could not be mapped, with where it is.
type LineError struct {
	File string // the name given to Scan
	Line int    // counted from 1
	Err  error
}

// Error returns "file:line: reason".
func (e *LineError) Error() string {
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

// Unwrap returns the reason.
func (e *LineError) Unwrap() error { return e.Err }

// Scan yields the events of one log file in file order. name is used in errors only.
// Blank lines are skipped. A malformed line yields a *LineError and ends the scan, as
// does a read error (wrapped with the name).
func Scan(r io.Reader, name string) iter.Seq2[event.Event, error] {
	return func(yield func(event.Event, error) bool) {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), maxLineBytes)
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimRight(sc.Text(), "\r")
			if strings.TrimSpace(line) == "" {
				continue
			}
			e, err := ParseLine(line)
			if err != nil {
				yield(event.Event{}, &LineError{File: name, Line: n, Err: err})
				return
			}
			if !yield(e, nil) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			yield(event.Event{}, fmt.Errorf("read %s: %w", name, err))
		}
	}
}

// ReadFile reads every event of one log file.
func ReadFile(path string) ([]event.Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	defer f.Close()

	var events []event.Event
	for e, err := range Scan(f, filepath.Base(path)) {
		if err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	return events, nil
}

// LogFiles returns the log files of a folder, sorted by name: every file whose name starts
// with imp., clk. or conv.; the lookup tables beside them are left out.
func LogFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list ipinyou logs: %w", err)
	}
	var files []string
	for _, entry := range entries {
		name := entry.Name()
		if entry.IsDir() || !isLogName(name) {
			continue
		}
		files = append(files, filepath.Join(dir, name))
	}
	return files, nil
}

func isLogName(name string) bool {
	for _, prefix := range []string{"imp.", "clk.", "conv."} {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return false
}

// ReadDir reads every log file of a folder (see LogFiles) and returns their events sorted
// by occurred_at; events of the same millisecond keep file order. Duplicate deliveries in
// the logs are kept: removing them is the pipeline's job.
func ReadDir(dir string) ([]event.Event, error) {
	files, err := LogFiles(dir)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no imp.*, clk.* or conv.* files in %s", dir)
	}

	var all []event.Event
	for _, path := range files {
		events, err := ReadFile(path)
		if err != nil {
			return nil, err
		}
		all = append(all, events...)
	}
	slices.SortStableFunc(all, func(a, b event.Event) int {
		return cmp.Compare(a.OccurredAt.UnixMilli(), b.OccurredAt.UnixMilli())
	})
	return all, nil
}
