package staleread_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/adpulse/adpulse/shared/staleread"
)

// store answers reads with its current value or error and counts them.
type store struct {
	value string
	err   error
	reads int
}

func (s *store) load(_ context.Context, key string) (string, error) {
	s.reads++
	if s.err != nil {
		return "", s.err
	}
	return key + "=" + s.value, nil
}

func TestGet(t *testing.T) {
	down := errors.New("table unavailable")
	// Each step moves the clock, sets the store, reads key "a" (or "b") and checks.
	steps := []struct {
		name      string
		advance   time.Duration
		value     string
		err       error
		key       string
		want      string
		wantStale bool
		wantErr   bool
		reads     int  // store reads so far
		waitOpen  bool // wait out the breaker's OpenFor (it keeps its own clock)
	}{
		{name: "first read", value: "v1", key: "a", want: "a=v1", reads: 1},
		{name: "fresh: cached", advance: 20 * time.Second, value: "v2", key: "a",
			want: "a=v1", reads: 1},
		{name: "expired: read again", advance: 15 * time.Second, value: "v2", key: "a",
			want: "a=v2", reads: 2},
		{name: "store down: the last value, stale", advance: time.Minute, err: down,
			key: "a", want: "a=v2", wantStale: true, reads: 3},
		{name: "never read: the error", err: down, key: "b", wantErr: true, reads: 4},
		{name: "third failure", err: down, key: "a", want: "a=v2", wantStale: true, reads: 5},
		// The breaker opens after 3 consecutive failures: the store is left alone.
		{name: "breaker open: not called, stale", err: down, key: "a", want: "a=v2",
			wantStale: true, reads: 5},
		{name: "breaker open: never read still errs", err: down, key: "b", wantErr: true,
			reads: 5},
		{name: "half open after OpenFor: one try, back", waitOpen: true, value: "v3",
			key: "a", want: "a=v3", reads: 6},
		{name: "too stale to stand in", advance: 20 * time.Minute, err: down, key: "a",
			wantErr: true, reads: 7},
	}
	s := &store{}
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	c := staleread.New("rules", s.load, staleread.Options{TTL: 30 * time.Second,
		MaxStale: 15 * time.Minute, FailuresToOpen: 3, OpenFor: 300 * time.Millisecond,
		Now: func() time.Time { return now }})
	for _, st := range steps {
		now = now.Add(st.advance)
		if st.waitOpen {
			time.Sleep(350 * time.Millisecond)
		}
		s.value, s.err = st.value, st.err

		got, stale, staleErr, err := c.Get(context.Background(), st.key)

		if (err != nil) != st.wantErr || got != st.want || stale != st.wantStale {
			t.Errorf("%s: got %q stale %v err %v; want %q stale %v err %v", st.name, got,
				stale, err, st.want, st.wantStale, st.wantErr)
		}
		if stale && staleErr == nil {
			t.Errorf("%s: stale without the read's error", st.name)
		}
		if s.reads != st.reads {
			t.Errorf("%s: store reads = %d, want %d", st.name, s.reads, st.reads)
		}
	}
}

func TestCanceledReadsDoNotOpenTheBreaker(t *testing.T) {
	s := &store{err: context.Canceled}
	c := staleread.New("settings", s.load, staleread.Options{TTL: time.Second,
		FailuresToOpen: 1})
	for range 3 {
		_, _, _, _ = c.Get(context.Background(), "a")
	}
	if s.reads != 3 {
		t.Errorf("store reads = %d, want 3: a caller's cancel must not open the breaker",
			s.reads)
	}
}
