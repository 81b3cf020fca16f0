package ipinyou_test

import (
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/adpulse/adpulse/shared/event"
	"github.com/adpulse/adpulse/shared/ipinyou"
)

// line builds a log line from the real impression sample, with some columns replaced.
func line(replace map[int]string) string {
	cols := []string{
		"49b5a58c3a3c39c32ba5a36f70a3daa5", "20131021192300738", "1", "C4NDR12~1B",
		"Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 5.1; Trident/4.0)", "222.218.230.*",
		"238", "246", "1", "9a2acabba41e00373f68053fd73e4d50",
		"19bbcb08106cbd6410a51fe87c40c44e", "null", "mm_12712107_1718689_6742002", "300",
		"250", "FirstView", "Na", "0", "10722", "294", "201", "null", "2821", "10063",
	}
	for i, v := range replace {
		cols[i-1] = v // columns are numbered from 1, as in the README
	}
	return strings.Join(cols, "\t")
}

func TestParseLine(t *testing.T) {
	occurred := time.Date(2013, 10, 21, 11, 23, 0, 738_000_000, time.UTC)
	attrs := map[string]string{
		"exchange": "1", "region": "238", "city": "246", "slot_size": "300x250",
		"domain": "9a2acabba41e00373f68053fd73e4d50",
	}
	ua := "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 5.1; Trident/4.0)"
	tests := []struct {
		name    string
		replace map[int]string
		want    event.Event
	}{
		{
			name: "impression",
			want: event.Event{
				EventID: "49b5a58c3a3c39c32ba5a36f70a3daa5-imp", Type: event.Impression,
				CampaignID: "2821", AdID: "10722", UserID: "C4NDR12~1B", OccurredAt: occurred,
				CostMicros: 2010, Currency: "CNY", Channel: event.Display, Attributes: attrs,
			},
		},
		{
			name:    "click has no cost",
			replace: map[int]string{3: "2", 24: "null"},
			want: event.Event{
				EventID: "49b5a58c3a3c39c32ba5a36f70a3daa5-clk", Type: event.Click,
				CampaignID: "2821", AdID: "10722", UserID: "C4NDR12~1B", OccurredAt: occurred,
				Channel: event.Display, Attributes: attrs,
			},
		},
		{
			name:    "conversion without user id gets a device id",
			replace: map[int]string{3: "3", 4: "null"},
			want: event.Event{
				EventID: "49b5a58c3a3c39c32ba5a36f70a3daa5-conv", Type: event.Conversion,
				CampaignID: "2821", AdID: "10722",
				DeviceID: ipinyou.DeviceID("222.218.230.*", ua), OccurredAt: occurred,
				Channel: event.Display, Attributes: attrs,
			},
		},
		{
			name:    "null dimensions are left out",
			replace: map[int]string{8: "null", 10: "null", 14: "null", 21: "0"},
			want: event.Event{
				EventID: "49b5a58c3a3c39c32ba5a36f70a3daa5-imp", Type: event.Impression,
				CampaignID: "2821", AdID: "10722", UserID: "C4NDR12~1B", OccurredAt: occurred,
				Currency: "CNY", Channel: event.Display,
				Attributes: map[string]string{"exchange": "1", "region": "238"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ipinyou.ParseLine(line(tc.replace))
			if err != nil {
				t.Fatalf("ParseLine: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestDeviceID(t *testing.T) {
	a := ipinyou.DeviceID("1.2.3.*", "UA")
	if got, want := ipinyou.DeviceID("1.2.3.*", "UA"), a; got != want {
		t.Errorf("same input: got %q, want %q", got, want)
	}
	if b := ipinyou.DeviceID("1.2.4.*", "UA"); b == a {
		t.Errorf("different IPs share device id %q", a)
	}
	if !strings.HasPrefix(a, "ipua:") || len(a) != len("ipua:")+32 {
		t.Errorf("got %q, want ipua: and 32 hex digits", a)
	}
}

func TestScanMalformed(t *testing.T) {
	good := line(nil)
	tests := []struct {
		name     string
		input    string
		wantLine int
		wantText string
	}{
		{"too few columns", good + "\n" + "a\tb\tc\n", 2, "3 tab-separated columns, want 24"},
		{"bad log type", good + "\n\n" + line(map[int]string{3: "9"}), 3, "log type"},
		{"bad timestamp", line(map[int]string{2: "2013102119230073"}), 1, "timestamp"},
		{"bad month", line(map[int]string{2: "20131321192300738"}), 1, "timestamp"},
		{"bad price", line(map[int]string{21: "2.5"}), 1, "paying price"},
		{"negative price", line(map[int]string{21: "-3"}), 1, "paying price"},
		{"empty bid id", line(map[int]string{1: ""}), 1, "bid id"},
		{"invalid campaign", line(map[int]string{23: "a/b"}), 1, "campaign_id"},
		{"impression without ad", line(map[int]string{19: "null"}), 1, "ad_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var lineErr *ipinyou.LineError
			for _, err := range ipinyou.Scan(strings.NewReader(tc.input), "imp.test.txt") {
				if err != nil && !errors.As(err, &lineErr) {
					t.Fatalf("got error %v, want a *LineError", err)
				}
			}
			if lineErr == nil {
				t.Fatal("got no error")
			}
			if lineErr.File != "imp.test.txt" || lineErr.Line != tc.wantLine {
				t.Errorf("got %s:%d, want imp.test.txt:%d", lineErr.File, lineErr.Line,
					tc.wantLine)
			}
			if msg := lineErr.Error(); !strings.Contains(msg, tc.wantText) {
				t.Errorf("got %q, want it to mention %q", msg, tc.wantText)
			}
		})
	}
}

func TestScanSkipsBlankLinesAndCR(t *testing.T) {
	input := "\n" + line(nil) + "\r\n\n" + line(map[int]string{3: "2"}) + "\n"
	var got []string
	for e, err := range ipinyou.Scan(strings.NewReader(input), "x") {
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		got = append(got, e.EventID)
	}
	want := []string{
		"49b5a58c3a3c39c32ba5a36f70a3daa5-imp", "49b5a58c3a3c39c32ba5a36f70a3daa5-clk",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// roundTrip checks that an event survives the wire: encoded as JSON and decoded by the
// ingest path's decoder, it is valid and the same event.
func roundTrip(t *testing.T, e event.Event) {
	t.Helper()
	data, err := json.Marshal(e)
	if err != nil {
		t.Fatalf("marshal %s: %v", e.EventID, err)
	}
	got, err := event.Decode(data, time.Now())
	if err != nil {
		t.Fatalf("decode %s: %v (%s)", e.EventID, err, data)
	}
	if !got.OccurredAt.Equal(e.OccurredAt) || !maps.Equal(got.Attributes, e.Attributes) {
		t.Fatalf("round trip of %s: got %+v, want %+v", e.EventID, got, e)
	}
	got.OccurredAt, got.Attributes = e.OccurredAt, e.Attributes
	if !reflect.DeepEqual(got, e) {
		t.Fatalf("round trip of %s: got %+v, want %+v", e.EventID, got, e)
	}
}

func TestParseLineRoundTrip(t *testing.T) {
	for _, replace := range []map[int]string{nil, {3: "2"}, {3: "3", 4: "null", 19: "null"}} {
		e, err := ipinyou.ParseLine(line(replace))
		if err != nil {
			t.Fatalf("ParseLine: %v", err)
		}
		roundTrip(t, e)
	}
}
