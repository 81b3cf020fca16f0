package event_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/adpulse/adpulse/shared/event"
)

// Record.Event must decode each event of a record exactly as Decode does, errors included,
// while cutting its strings from the record.
func TestRecordEventMatchesDecode(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	// base is the start of a valid impression; the cases add to it or stand alone.
	const base = `"type":"impression","campaign_id":"c1","ad_id":"a","user_id":"u",` +
		`"occurred_at":1764763200000`
	cases := []string{
		`{"event_id":"e1",` + base + `,"cost_micros":5,"currency":"USD"}`,
		`{"event_id":"e\u00e9\n","type":"click","campaign_id":"c1","ad_id":"a1",` +
			`"device_id":"d","occurred_at":"2026-12-03T10:00:00Z"}`,
		`{"event_id":"e3","type":"conversion","campaign_id":"c1","login_id":"l",` +
			`"user_id":"u \"q\"","occurred_at":1764763200000,"value_micros":9,` +
			`"currency":"EUR","channel":"video","attributes":{"k":"v","k\/2":"w"}}`,
		` { "event_id" : "e4" , "type" : "impression" , "campaign_id" : "c1" , ` +
			`"ad_id" : "a1" , "user_id" : "u" , "occurred_at" : 1764763200000 , ` +
			`"extra" : [1, {"x": null}] } `,
		`{"event_id":"","type":"impression"}`,
		`{"event_id":"e5","type":"view","campaign_id":"c1","user_id":"u","occurred_at":1764763200000}`,
		`{"event_id":"e6","type":"impression","campaign_id":"c/1","user_id":"u",` +
			`"occurred_at":1764763200000}`,
		`{"event_id":"e7","type":"impression","campaign_id":"c1","ad_id":"a","user_id":"u",` +
			`"occurred_at":"yesterday"}`,
		`{"event_id":"e8",` + base + `,"cost_micros":"5"}`,
		`{"event_id":"e9",` + base + `,"cost_micros":1.5}`,
		`{"event_id":"e10",` + base + `,"attributes":{"k":1}}`,
		`{"event_id":"e11",` + base + `,"currency":"usd","cost_micros":1}`,
		`{"event_id":7}`,
		`"just a string"`,
		`[]`,
		`{}`,
	}
	for _, c := range cases {
		data := []byte(`{"v":1,"tenant_id":"t","received_at":1,"events":[` + c + `]}`)
		rec, err := event.DecodeRecord(data)
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		want, wantErr := event.Decode([]byte(c), now)
		got, gotErr := rec.Event(0, now)
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotErr, wantErr) {
			t.Errorf("%s:\n got %+v, %v\nwant %+v, %v", c, got, gotErr, want, wantErr)
		}
	}
}

// An event the caller swapped for bytes outside the record is still decoded, by copying.
func TestRecordEventOfReplacedRaw(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	ev := `{"event_id":"e1","type":"impression","campaign_id":"c1","ad_id":"a1",` +
		`"user_id":"u","occurred_at":1764763200000}`
	rec, err := event.DecodeRecord([]byte(`{"v":1,"tenant_id":"t","events":[{"x":1}]}`))
	if err != nil {
		t.Fatal(err)
	}
	rec.Events[0] = []byte(ev)
	got, err := rec.Event(0, now)
	if err != nil || got.EventID != "e1" || got.CampaignID != "c1" {
		t.Fatalf("got %+v, %v", got, err)
	}
}

// The envelope's events array is walked once now; a malformed one must still fail with
// the error the check-then-split walk gave (the cases' errors are the earlier decoder's).
func TestDecodeRecordErrorsUnchanged(t *testing.T) {
	// Each case is the value of "events" and the error's text after the common prefixes.
	const envelope = `{"v":1,"tenant_id":"t","events":`
	const malformed = "record is not a JSON envelope: malformed JSON"
	cases := []struct{ in, err string }{
		{`[{"a":1},]}`, malformed + ` at byte 41: expected a value, found ']'`},
		{`[{"a":1} {"b":2}]}`, malformed + ` at byte 41: expected ',' or ']', found '{'`},
		{`[{"a":1}`, malformed + `: unexpected end of input, expected ',' or ']'`},
		{`[{"a":"x\u12"}]}`, malformed + ` at byte 42: bad \u escape, found '1'`},
		{`[]}`, "record holds no events"},
		{`"x"}`, malformed + ` at byte 0: expected '[', found '"'`},
		{`[1,2,]}`, malformed + ` at byte 37: expected a value, found ']'`},
		{`[{"a":1}]]`, malformed + ` at byte 41: expected ',' or '}', found ']'`},
		{`[ ]}`, "record holds no events"},
		{`[{"a":tru}]}`, malformed + ` at byte 38: expected a value, found 't'`},
		{"[{\"a\":\"\x01\"}]}", malformed + ` at byte 39: control character in a string, found '\x01'`},
	}
	for _, tc := range cases {
		_, err := event.DecodeRecord([]byte(envelope + tc.in))
		if err == nil || err.Error() != tc.err {
			t.Errorf("%s: error %v, want %s", tc.in, err, tc.err)
		}
	}
}
