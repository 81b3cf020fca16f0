package parallel

import (
	"sync"
	"sync/atomic"
	"testing"
)

func TestForEach(t *testing.T) {
	tests := []struct {
		name       string
		workers, n int
	}{
		{"more work than workers", 3, 50},
		{"more workers than work", 16, 4},
		{"zero workers still runs", 0, 5},
		{"no work", 4, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var running, peak atomic.Int32
			seen := make([]int, tc.n)
			ForEach(tc.workers, tc.n, func(i int) {
				now := running.Add(1)
				mu.Lock()
				peak.Store(max(peak.Load(), now))
				seen[i]++
				mu.Unlock()
				running.Add(-1)
			})
			for i, c := range seen {
				if c != 1 {
					t.Errorf("fn(%d) ran %d times, want once", i, c)
				}
			}
			if limit := int32(max(1, tc.workers)); peak.Load() > limit {
				t.Errorf("%d calls ran at once, want at most %d", peak.Load(), limit)
			}
		})
	}
}
