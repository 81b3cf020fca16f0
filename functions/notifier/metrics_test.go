package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/adpulse/adpulse/shared/metrics"
	"github.com/adpulse/adpulse/shared/notify"
)

func TestRecordChannel(t *testing.T) {
	// GIVEN one channel attempt in each state WHEN its metrics are written THEN a delivery
	// counts 1 sent and 0 failed, a failure 0 sent and 1 failed, and a channel
	// delivered before or claimed elsewhere nothing.
	tests := []struct {
		state        channelState
		sent, failed string
	}{
		{chDelivered, `"NotificationsSent":1`, `"NotificationsFailed":0`},
		{chFailed, `"NotificationsSent":0`, `"NotificationsFailed":1`},
		{chGaveUp, `"NotificationsSent":0`, `"NotificationsFailed":1`},
		{chAlready, "", ""},
		{chBusy, "", ""},
	}
	for _, tc := range tests {
		r := metrics.New("notifier")
		recordChannel(metrics.With(context.Background(), r), notify.ChannelType("email"), tc.state)
		lines := r.Lines(time.Unix(0, 0))
		if tc.sent == "" {
			if len(lines) != 0 {
				t.Errorf("state %d: got %q, want no line", tc.state, lines)
			}
			continue
		}
		if len(lines) != 1 {
			t.Fatalf("state %d: got %d lines, want 1", tc.state, len(lines))
		}
		line := string(lines[0])
		for _, want := range []string{tc.sent, tc.failed, `"Channel":"email"`} {
			if !strings.Contains(line, want) {
				t.Errorf("state %d: line %s lacks %s", tc.state, line, want)
			}
		}
	}
}
