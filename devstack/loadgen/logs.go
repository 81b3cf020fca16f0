package loadgen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/adpulse/adpulse/shared/meter"
)

// FunctionUsage sums what one function's log says its invocations did.
type FunctionUsage struct {
	Invocations int            `json:"invocations"` // "aws usage" lines
	GBSeconds   float64        `json:"gb_seconds"`  // billed ms × memory
	AWS         meter.Snapshot `json:"aws"`
	Tables      meter.Snapshot `json:"aws_tables,omitempty"` // DynamoDB by table label

	// From the aggregate function's outcome lines ("aggregate done|partial").
	Events      int `json:"events,omitempty"`
	Duplicates  int `json:"duplicates,omitempty"`
	ClaimWrites int `json:"claim_writes,omitempty"`
	RowWrites   int `json:"row_writes,omitempty"`
	ReachWrites int `json:"reach_writes,omitempty"`
	Batches     int `json:"batches,omitempty"`
	Records     int `json:"records,omitempty"`
}

// logLine is the union of the fields read from a function's JSON log lines.
type logLine struct {
	meter.Line
	Records     int `json:"records"`
	Events      int `json:"events"`
	Duplicates  int `json:"duplicates"`
	ClaimWrites int `json:"claimWrites"`
	RowWrites   int `json:"rowWrites"`
	ReachWrites int `json:"reachWrites"`
}

// ReadUsage sums the usage lines (and aggregate outcome lines) a function's log got
// after offset.
func ReadUsage(path string, offset int64) (FunctionUsage, error) {
	u := FunctionUsage{AWS: meter.Snapshot{}, Tables: meter.Snapshot{}}
	f, err := os.Open(path)
	if err != nil {
		return u, fmt.Errorf("open log: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return u, fmt.Errorf("seek log: %w", err)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		raw := sc.Bytes()
		if !strings.Contains(string(raw), `"message":"a`) {
			continue
		}
		var l logLine
		if json.Unmarshal(raw, &l) != nil {
			continue
		}
		switch {
		case l.Message == meter.UsageMessage:
			u.Invocations++
			u.GBSeconds += float64(l.BilledMs) / 1000 * float64(l.MemoryMB) / 1024
			u.AWS.Merge(l.AWS)
			u.Tables.Merge(l.Tables)
		case strings.HasPrefix(l.Message, "aggregate "):
			u.Batches++
			u.Records += l.Records
			u.Events += l.Events
			u.Duplicates += l.Duplicates
			u.ClaimWrites += l.ClaimWrites
			u.RowWrites += l.RowWrites
			u.ReachWrites += l.ReachWrites
		}
	}
	return u, sc.Err()
}

// LogSize returns the size of a log now, the offset to read a run's lines from.
func LogSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}
