package scenario

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// Writes is what the aggregate function reported writing during a run.
type Writes struct {
	Invocations int     `json:"invocations"`
	Events      int     `json:"events"`
	Duplicates  int     `json:"duplicates_skipped"`
	Claims      int     `json:"claim_writes"`
	Rows        int     `json:"rollup_writes"`
	Reach       int     `json:"reach_sketch_writes"`
	PerEvent    float64 `json:"writes_per_accepted_event"`
}

// outcomeLine is the aggregate function's one log line per invocation.
type outcomeLine struct {
	Msg         string `json:"message"`
	Events      int    `json:"events"`
	Duplicates  int    `json:"duplicates"`
	ClaimWrites int    `json:"claimWrites"`
	RowWrites   int    `json:"rowWrites"`
	ReachWrites int    `json:"reachWrites"`
}

// countWrites sums the outcome lines written to the log after offset.
func countWrites(path string, offset int64) (Writes, error) {
	f, err := os.Open(path)
	if err != nil {
		return Writes{}, fmt.Errorf("open aggregate log: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return Writes{}, fmt.Errorf("seek aggregate log: %w", err)
	}

	var w Writes
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if !strings.Contains(string(line), `"aggregate `) {
			continue
		}
		var o outcomeLine
		if json.Unmarshal(line, &o) != nil || !strings.HasPrefix(o.Msg, "aggregate ") {
			continue
		}
		w.Invocations++
		w.Events += o.Events
		w.Duplicates += o.Duplicates
		w.Claims += o.ClaimWrites
		w.Rows += o.RowWrites
		w.Reach += o.ReachWrites
	}
	return w, sc.Err()
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}
