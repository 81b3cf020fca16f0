package event

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"
)

var fuzzNow = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

// referenceDecode is the same decoding through encoding/json, which the hand-written
// scanner must agree with.
func referenceDecode(data []byte) (Event, bool) {
	var w wire
	if len(data) > MaxEventBytes || json.Unmarshal(data, &w) != nil {
		return Event{}, false
	}
	t, ferr := parseTime(w.OccurredAt)
	if ferr != nil {
		return Event{}, false
	}
	e := Event{EventID: w.EventID, Type: w.Type, CampaignID: w.CampaignID, AdID: w.AdID,
		UserID: w.UserID, DeviceID: w.DeviceID, LoginID: w.LoginID,
		HashedEmail: w.HashedEmail, OccurredAt: t, CostMicros: w.CostMicros,
		ValueMicros: w.ValueMicros, Currency: w.Currency, Channel: w.Channel,
		Attributes: w.Attributes}
	if e.Validate(fuzzNow) != nil {
		return Event{}, false
	}
	return e, true
}

// FuzzDecodeMatchesReference checks the scanner against encoding/json: whatever it
// accepts, encoding/json accepts with the same result; and on valid UTF-8 with
// lower-case keys (encoding/json also matches keys case-insensitively) the reverse holds.
func FuzzDecodeMatchesReference(f *testing.F) {
	seeds := []string{
		`{"event_id":"e-1","type":"impression","campaign_id":"c","ad_id":"a","user_id":"u",` +
			`"occurred_at":"2026-12-03T11:00:00Z","cost_micros":12,"currency":"USD"}`,
		`{"event_id":"e\u00e9\"x","type":"click","campaign_id":"c","ad_id":"a",` +
			`"device_id":"d\ud83d\ude00","occurred_at":1764759540000,"extra":[1,{"a":null}]}`,
		`{"event_id":"v","type":"conversion","campaign_id":"c","user_id":"u",` +
			`"occurred_at":1764759540000,"value_micros":5,"currency":"EUR",` +
			`"attributes":{"k":"v"},"attributes":{"j":"w"}}`,
		`{"event_id":"e","cost_micros":1e3}`, `[]`, `{"a":tru}`, `{"event_id":"a\u0000"}`,
		`  {"event_id" : "x" , "type":null }  `, `{"cost_micros":-0}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Decode(data, fuzzNow)
		if err != nil {
			if _, isField := err.(*FieldError); !isField {
				t.Fatalf("error %T, want *FieldError", err)
			}
		}
		// encoding/json also matches keys case-insensitively, so only inputs without
		// upper-case letters are compared.
		if !bytes.Equal(bytes.ToLower(data), data) {
			return
		}
		want, ok := referenceDecode(data)
		if err == nil {
			if !ok {
				t.Fatalf("scanner accepted what encoding/json refuses: %q", data)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("scanner %+v, encoding/json %+v for %q", got, want, data)
			}
			return
		}
		if ok && utf8.Valid(data) {
			t.Fatalf("scanner refused (%v) what encoding/json accepts: %q", err, data)
		}
	})
}

// FuzzSplitArrayMatchesReference checks the batch splitter the same way.
func FuzzSplitArrayMatchesReference(f *testing.F) {
	for _, s := range []string{`[1, "a", {"b": [true, null]}, -2.5e3]`, `[]`, `[1,]`,
		`[{"a":"\""}]`, `[1] x`, `["\u12"]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := splitArray(data)
		var want []json.RawMessage
		refErr := json.Unmarshal(data, &want)
		if (err == nil) != (refErr == nil) {
			t.Fatalf("scanner err %v, encoding/json err %v for %q", err, refErr, data)
		}
		if err != nil {
			return
		}
		if len(got) != len(want) {
			t.Fatalf("%d elements, encoding/json %d", len(got), len(want))
		}
		for i := range got {
			if !bytes.Equal(bytes.TrimSpace(got[i]), bytes.TrimSpace(want[i])) {
				t.Fatalf("element %d: %q vs %q", i, got[i], want[i])
			}
		}
	})
}

// FuzzEncodeRoundTrip checks that what appendEvent writes is valid JSON that decodes back
// to the same event, whatever the strings hold.
func FuzzEncodeRoundTrip(f *testing.F) {
	f.Add("e-1", "u\x01\"\\\n<é>", "k", "v\u2028")
	f.Fuzz(func(t *testing.T, id, user, k, v string) {
		e := Event{EventID: id, Type: Click, CampaignID: "c", AdID: "a", UserID: user,
			OccurredAt: fuzzNow.Add(-time.Hour), Attributes: map[string]string{k: v}}
		data := appendEvent(nil, &e)
		if !json.Valid(data) {
			t.Fatalf("invalid JSON: %q", data)
		}
		var w wire
		if err := json.Unmarshal(data, &w); err != nil {
			t.Fatal(err)
		}
		if !utf8.ValidString(id) || !utf8.ValidString(user) || !utf8.ValidString(k) ||
			!utf8.ValidString(v) {
			return // invalid UTF-8 becomes U+FFFD, as with encoding/json
		}
		if w.EventID != id || w.UserID != user || w.Attributes[k] != v {
			t.Fatalf("round trip changed %q %q %q %q into %+v", id, user, k, v, w)
		}
	})
}
