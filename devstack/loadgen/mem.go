package loadgen

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Process is the memory of one process of the stack.
type Process struct {
	PID    int    `json:"pid"`
	Name   string `json:"name"`    // the executable's name, e.g. kumo, bootstrap
	Folder string `json:"folder"`  // for a bootstrap, its function folder
	RSSKB  int64  `json:"rss_kb"`  // resident set size now (VmRSS)
	PeakKB int64  `json:"peak_kb"` // peak resident set size (VmHWM)
}

// Memory reads /proc/<pid>/status of each pid. A process that is gone is skipped.
func Memory(pids []int) []Process {
	var out []Process
	for _, pid := range pids {
		p, err := readStatus(pid)
		if err != nil {
			continue
		}
		if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err == nil {
			// Bootstraps are built to <state>/bin/<folder>/bootstrap.
			p.Folder = filepath.Base(filepath.Dir(exe))
		}
		out = append(out, p)
	}
	return out
}

func readStatus(pid int) (Process, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Process{}, err
	}
	defer f.Close()
	p := Process{PID: pid}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(val), "kB"))
		switch key {
		case "Name":
			p.Name = val
		case "VmRSS":
			p.RSSKB, _ = strconv.ParseInt(val, 10, 64)
		case "VmHWM":
			p.PeakKB, _ = strconv.ParseInt(val, 10, 64)
		}
	}
	return p, sc.Err()
}
