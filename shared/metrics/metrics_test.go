package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

var stamp = time.UnixMilli(1700000000123)

func TestLines(t *testing.T) {
	tests := []struct {
		name   string
		record func(r *Recorder)
		want   []string
	}{
		{
			name:   "nothing recorded writes nothing",
			record: func(*Recorder) {},
		},
		{
			name: "counts of one set are summed in one line",
			record: func(r *Recorder) {
				r.Count("EventsAccepted", 3)
				r.Count("EventsAccepted", 2)
			},
			want: []string{`{"EventsAccepted":5,"Function":"ingest","_aws":{"Timestamp":1700000000123,` +
				`"CloudWatchMetrics":[{"Namespace":"adpulse","Dimensions":[["Function"]],` +
				`"Metrics":[{"Name":"EventsAccepted","Unit":"Count"}]}]}}`},
		},
		{
			name: "one line per set of dimension values",
			record: func(r *Recorder) {
				r.Count("EventsRejected", 1, Dim("Reason", "invalid"))
				r.Count("EventsAccepted", 4)
				r.Count("EventsRejected", 2, Dim("Reason", "stream"))
				r.Count("EventsRejected", 1, Dim("Reason", "invalid"))
			},
			want: []string{
				`{"EventsAccepted":4,"Function":"ingest","_aws":{"Timestamp":1700000000123,` +
					`"CloudWatchMetrics":[{"Namespace":"adpulse","Dimensions":[["Function"]],` +
					`"Metrics":[{"Name":"EventsAccepted","Unit":"Count"}]}]}}`,
				`{"EventsRejected":2,"Function":"ingest","Reason":"invalid",` +
					`"_aws":{"Timestamp":1700000000123,` +
					`"CloudWatchMetrics":[{"Namespace":"adpulse",` +
					`"Dimensions":[["Function","Reason"],["Function"]],` +
					`"Metrics":[{"Name":"EventsRejected","Unit":"Count"}]}]}}`,
				`{"EventsRejected":2,"Function":"ingest","Reason":"stream",` +
					`"_aws":{"Timestamp":1700000000123,` +
					`"CloudWatchMetrics":[{"Namespace":"adpulse",` +
					`"Dimensions":[["Function","Reason"],["Function"]],` +
					`"Metrics":[{"Name":"EventsRejected","Unit":"Count"}]}]}}`,
			},
		},
		{
			name: "a single value is a number, several an array, units kept",
			record: func(r *Recorder) {
				r.Value("AggregationLagMs", Milliseconds, 120)
				r.Count("EventsAggregated", 10)
				r.Value("BatchSize", None, 1, Dim("Channel", "email"))
				r.Value("BatchSize", None, 2, Dim("Channel", "email"))
			},
			want: []string{
				`{"AggregationLagMs":120,"EventsAggregated":10,"Function":"ingest",` +
					`"_aws":{"Timestamp":1700000000123,` +
					`"CloudWatchMetrics":[{"Namespace":"adpulse","Dimensions":[["Function"]],` +
					`"Metrics":[{"Name":"AggregationLagMs","Unit":"Milliseconds"},` +
					`{"Name":"EventsAggregated","Unit":"Count"}]}]}}`,
				`{"BatchSize":[1,2],"Channel":"email","Function":"ingest","_aws":{"Timestamp":1700000000123,` +
					`"CloudWatchMetrics":[{"Namespace":"adpulse",` +
					`"Dimensions":[["Function","Channel"],["Function"]],` +
					`"Metrics":[{"Name":"BatchSize","Unit":"None"}]}]}}`,
			},
		},
		{
			name: "extra dimensions are ordered by name after Function",
			record: func(r *Recorder) {
				r.Count("X", 1, Dim("Reason", "a"), Dim("Channel", "b"))
			},
			want: []string{`{"Channel":"b","Function":"ingest","Reason":"a","X":1,` +
				`"_aws":{"Timestamp":1700000000123,"CloudWatchMetrics":[{"Namespace":"adpulse",` +
				`"Dimensions":[["Function","Channel","Reason"],["Function"]],` +
				`"Metrics":[{"Name":"X","Unit":"Count"}]}]}}`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := New("ingest")
			tc.record(r)
			var got []string
			for _, l := range r.Lines(stamp) {
				got = append(got, string(l))
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if again := r.Lines(stamp); len(again) != 0 {
				t.Fatalf("lines after a flush: %q", again)
			}
		})
	}
}

func TestValuesCappedAtEMFLimit(t *testing.T) {
	r := New("f")
	for i := 0; i < MaxValues+10; i++ {
		r.Value("V", Milliseconds, float64(i))
	}
	var doc map[string]any
	if err := json.Unmarshal(r.Lines(stamp)[0], &doc); err != nil {
		t.Fatal(err)
	}
	if n := len(doc["V"].([]any)); n != MaxValues {
		t.Fatalf("%d values, want %d", n, MaxValues)
	}
}

func TestNilRecorderDrops(t *testing.T) {
	r := From(context.Background())
	r.Count("X", 1)
	r.Value("Y", None, 1)
	if r.Lines(stamp) != nil {
		t.Fatal("a nil recorder returned lines")
	}
}

func TestHandlerFlushesOnceAfterInvocation(t *testing.T) {
	var buf bytes.Buffer
	out = &buf
	defer func() { out = osStdout() }()

	h := Handler("notifier", func(ctx context.Context, n int) (int, error) {
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); From(ctx).Count("NotificationsSent", 1, Dim("Channel", "slack")) }()
		}
		wg.Wait()
		return n, nil
	})
	if _, err := h(context.Background(), 20); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d lines: %q", len(lines), buf.String())
	}
	var doc struct {
		Sent    float64 `json:"NotificationsSent"`
		Channel string
		AWS     struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
			}
		} `json:"_aws"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Sent != 20 || doc.Channel != "slack" || doc.AWS.Timestamp == 0 ||
		doc.AWS.CloudWatchMetrics[0].Namespace != "adpulse" ||
		!reflect.DeepEqual(doc.AWS.CloudWatchMetrics[0].Dimensions,
			[][]string{{"Function", "Channel"}, {"Function"}}) {
		t.Fatalf("line: %s", lines[0])
	}
	// The next invocation starts empty.
	buf.Reset()
	idle := func(context.Context, int) (int, error) { return 0, nil }
	_, _ = Handler("notifier", idle)(context.Background(), 0)
	if buf.Len() != 0 {
		t.Fatalf("empty invocation wrote %q", buf.String())
	}
}

func osStdout() io.Writer { return os.Stdout }
