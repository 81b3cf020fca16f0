package event_test

import (
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/s2"

	"github.com/adpulse/adpulse/shared/event"
)

// oldRecord is a record exactly as the ingest function wrote it before records were
// compressed (PackWith with CodecJSON still writes these bytes). Producers of that version
// keep writing it while a deploy rolls out, so the consumer must read it for good.
const oldRecord = `{"v":1,"tenant_id":"t_1","received_at":1796212800000,"events":[` +
	`{"event_id":"e-1","type":"impression","campaign_id":"c-1","ad_id":"a-1",` +
	`"user_id":"u-1","occurred_at":1796212799000,"cost_micros":1500,"currency":"USD",` +
	`"channel":"display","attributes":{"os":"ios"}},` +
	`{"event_id":"e-2","type":"click","campaign_id":"c-1","ad_id":"a-1",` +
	`"device_id":"d-1","occurred_at":1796212799500}]}`

func oldEvents() []event.Event {
	at := time.UnixMilli(1796212799000).UTC()
	return []event.Event{
		{EventID: "e-1", Type: event.Impression, CampaignID: "c-1", AdID: "a-1",
			UserID: "u-1", OccurredAt: at, CostMicros: 1500, Currency: "USD",
			Channel: event.Display, Attributes: map[string]string{"os": "ios"}},
		{EventID: "e-2", Type: event.Click, CampaignID: "c-1", AdID: "a-1",
			DeviceID: "d-1", OccurredAt: at.Add(500 * time.Millisecond)},
	}
}

func TestCodecsWriteAndReadBack(t *testing.T) {
	received := time.UnixMilli(1796212800000)
	cases := []struct {
		name      string
		codec     event.Codec
		firstByte byte
	}{
		{"s2", event.CodecS2, event.CompressedS2},
		{"json", event.CodecJSON, '{'},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := event.PackWith("t_1", oldEvents(), 1, received, tc.codec)
			if err != nil || len(recs) != 1 {
				t.Fatalf("pack: %d records, %v", len(recs), err)
			}
			if got := recs[0].Data[0]; got != tc.firstByte {
				t.Errorf("first byte %#x, want %#x", got, tc.firstByte)
			}
			if tc.codec == event.CodecJSON && string(recs[0].Data) != oldRecord {
				t.Errorf("json codec wrote\n %s\nwant the old format\n %s", recs[0].Data,
					oldRecord)
			}
			rec, err := event.DecodeRecord(recs[0].Data)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			assertEvents(t, rec, oldEvents())
		})
	}
}

func TestOldUncompressedRecordsStayReadable(t *testing.T) {
	rec, err := event.DecodeRecord([]byte(oldRecord))
	if err != nil {
		t.Fatalf("decode old record: %v", err)
	}
	if rec.TenantID != "t_1" || rec.ReceivedAt != 1796212800000 {
		t.Errorf("envelope %q %d", rec.TenantID, rec.ReceivedAt)
	}
	assertEvents(t, rec, oldEvents())
}

func assertEvents(t *testing.T, rec event.Record, want []event.Event) {
	t.Helper()
	if len(rec.Events) != len(want) {
		t.Fatalf("%d events, want %d", len(rec.Events), len(want))
	}
	now := time.UnixMilli(1796212800000)
	for i := range want {
		got, err := rec.Event(i, now)
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		w := want[i]
		if got.EventID != w.EventID || got.Type != w.Type || got.AdID != w.AdID ||
			got.UserID != w.UserID || got.DeviceID != w.DeviceID ||
			!got.OccurredAt.Equal(w.OccurredAt) ||
			got.CostMicros != w.CostMicros || got.Currency != w.Currency ||
			got.Channel != w.Channel || got.Attributes["os"] != w.Attributes["os"] {
			t.Errorf("event %d: got %+v, want %+v", i, got, w)
		}
	}
}

// TestCompressionShrinksRecords: generated-like events (random ids, repeated keys) pack
// into S2 records well under half their JSON size, the reason for compressing.
func TestCompressionShrinksRecords(t *testing.T) {
	evs := sample(500, "c-1")
	plain, err := event.PackWith("t_1", evs, 16, now, event.CodecJSON)
	if err != nil {
		t.Fatal(err)
	}
	packed, err := event.Pack("t_1", evs, 16, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(plain) != len(packed) {
		t.Fatalf("%d compressed records for %d plain", len(packed), len(plain))
	}
	var a, b int
	for i := range plain {
		if plain[i].PartitionKey != packed[i].PartitionKey ||
			!equalInts(plain[i].Indexes, packed[i].Indexes) {
			t.Errorf("record %d: codecs grouped events differently", i)
		}
		a, b = a+len(plain[i].Data), b+len(packed[i].Data)
	}
	if b*2 > a {
		t.Errorf("compressed %d bytes of %d", b, a)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDecodeRecordRejectsBadCompressedData(t *testing.T) {
	good, err := event.Pack("t_1", oldEvents(), 1, now)
	if err != nil {
		t.Fatal(err)
	}
	data := good[0].Data
	// A compressed record whose JSON is wrong is refused as the JSON would be.
	notEnvelope := append([]byte{event.CompressedS2}, s2.Encode(nil, []byte("hello"))...)
	cases := []struct {
		name, wantErr string
		data          []byte
	}{
		{"marker only", "compressed record", []byte{event.CompressedS2}},
		{"truncated", "compressed record", data[:len(data)/2]},
		{"claims 2 MB", "limit", append([]byte{event.CompressedS2}, 0x80, 0x80, 0x80, 0x01)},
		{"not an envelope", "not a JSON envelope", notEnvelope},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := event.DecodeRecord(tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("got %v, want an error with %q", err, tc.wantErr)
			}
		})
	}
}

func TestParseCodec(t *testing.T) {
	cases := []struct {
		in   string
		want event.Codec
		ok   bool
	}{
		{"s2", event.CodecS2, true},
		{"json", event.CodecJSON, true},
		{"gzip", 0, false},
		{"", 0, false},
	}
	for _, tc := range cases {
		got, err := event.ParseCodec(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseCodec(%q) = %v, %v", tc.in, got, err)
		}
	}
}
