package event_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/adpulse/adpulse/shared/event"
)

var now = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

const valid = `{"event_id":"e-1","type":"impression","campaign_id":"c-1","ad_id":"a-1",` +
	`"user_id":"u-1","occurred_at":"2026-12-03T11:59:00.123+01:00","cost_micros":1500,` +
	`"currency":"EUR","channel":"video","attributes":{"placement":"top"}}`

// with replaces one field of the valid event (value is raw JSON; "" deletes the field).
func with(field, value string) string {
	var m map[string]json.RawMessage
	_ = json.Unmarshal([]byte(valid), &m)
	if value == "" {
		delete(m, field)
	} else {
		m[field] = json.RawMessage(value)
	}
	out, _ := json.Marshal(m)
	return string(out)
}

func TestDecodeValid(t *testing.T) {
	e, err := event.Decode([]byte(valid), now)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	wantAt := time.Date(2026, 12, 3, 10, 59, 0, 123e6, time.UTC)
	if !e.OccurredAt.Equal(wantAt) || e.OccurredAt.Location() != time.UTC {
		t.Errorf("occurred_at = %v, want %v in UTC", e.OccurredAt, wantAt)
	}
	if e.CostMicros != 1500 || e.Currency != "EUR" || e.Channel != event.Video {
		t.Errorf("decoded %+v", e)
	}

	epoch, err := event.Decode([]byte(with("occurred_at", "1796295540123")), now)
	if err != nil {
		t.Fatalf("decode epoch ms: %v", err)
	}
	if !epoch.OccurredAt.Equal(wantAt) {
		t.Errorf("epoch occurred_at = %v, want %v", epoch.OccurredAt, wantAt)
	}
}

func TestDecodeRejectsWithFieldAndReason(t *testing.T) {
	cases := []struct {
		name, body, field, reason string
	}{
		{"not an object", `[1]`, "", "JSON object"},
		{"malformed", `{"event_id":`, "", "malformed JSON"},
		{"no event id", with("event_id", ""), "event_id", "required"},
		{"long event id", with("event_id", `"`+strings.Repeat("x", 129)+`"`), "event_id",
			"at most 128"},
		{"control char in id", with("event_id", `"a\u0000b"`), "event_id", "control"},
		{"unknown type", with("type", `"view"`), "type", "impression, click or conversion"},
		{"no campaign", with("campaign_id", ""), "campaign_id", "required"},
		{"separator in campaign", with("campaign_id", `"c#1"`), "campaign_id", "letters"},
		{"impression without ad", with("ad_id", ""), "ad_id", "required"},
		{"no user or device", with("user_id", ""), "user_id", "user_id or device_id"},
		{"plain email", with("hashed_email", `"a@b.example"`), "hashed_email", "SHA-256"},
		{"upper-case hash", with("hashed_email", `"`+strings.Repeat("A", 64)+`"`),
			"hashed_email", "lower-case hex"},
		{"no time", with("occurred_at", ""), "occurred_at", "required"},
		{"bad time", with("occurred_at", `"yesterday"`), "occurred_at", "RFC 3339"},
		{"float epoch", with("occurred_at", `1.5`), "occurred_at", "integer epoch"},
		{"future", with("occurred_at", `"2026-12-03T13:00:00Z"`), "occurred_at", "future"},
		{"ancient", with("occurred_at", `"1999-12-31T00:00:00Z"`), "occurred_at", "before"},
		{"cost as text", with("cost_micros", `"abc"`), "cost_micros", "integer"},
		{"fractional cost", with("cost_micros", `1.5`), "cost_micros", "integer"},
		{"negative cost", with("cost_micros", `-1`), "cost_micros", "between 0"},
		{"amount without currency", with("currency", ""), "currency", "required"},
		{"lower-case currency", with("currency", `"eur"`), "currency", "ISO 4217"},
		{"made-up currency", with("currency", `"ABC"`), "currency", "ISO 4217"},
		{"value on impression", with("value_micros", `5`), "value_micros", "only on a conversion"},
		{"bad channel", with("channel", `"radio"`), "channel", "display, social"},
		{"non-string attribute", with("attributes", `{"k":1}`), "attributes.k", "a string"},
		{"too many attributes", with("attributes", manyAttrs(21)), "attributes", "at most 20"},
		{"empty object names the first field", `{}`, "event_id", "required"},
		{"bad type before a missing time", `{"event_id":"x","type":"bogus"}`, "type",
			"impression, click or conversion"},
		{"epoch seconds", with("occurred_at", `1795166102`), "occurred_at", "epoch seconds"},
		{"cost past int64", with("cost_micros", `18446744073709551616`), "cost_micros",
			"between 0 and"},
		{"non-ASCII in campaign", with("campaign_id", `"cämpaign"`), "campaign_id",
			"found 'ä' at 1"},
		{"truncated", `{"event_id":`, "", "malformed JSON: unexpected end"},
		{"huge event", with("attributes", `{"k":"`+strings.Repeat("x", 17000)+`"}`), "",
			"more than the limit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := event.Decode([]byte(tc.body), now)
			fe, ok := err.(*event.FieldError)
			if !ok {
				t.Fatalf("got error %v (%T), want *FieldError", err, err)
			}
			if fe.Field != tc.field || !strings.Contains(fe.Reason, tc.reason) {
				t.Errorf("got %q: %q, want %q: ...%s...", fe.Field, fe.Reason, tc.field, tc.reason)
			}
		})
	}
}

func manyAttrs(n int) string {
	m := map[string]string{}
	for i := 0; i < n; i++ {
		m[string(rune('a'+i))] = "v"
	}
	out, _ := json.Marshal(m)
	return string(out)
}

func TestTypeRules(t *testing.T) {
	conv := `{"event_id":"v-1","type":"conversion","campaign_id":"c-1","device_id":"d-1",` +
		`"occurred_at":1764759540000,"value_micros":25000000,"currency":"USD"}`
	if _, err := event.Decode([]byte(conv), now); err != nil {
		t.Errorf("conversion without ad and with a value: %v", err)
	}
	costly := strings.Replace(conv, `"value_micros"`, `"cost_micros"`, 1)
	if _, err := event.Decode([]byte(costly), now); err == nil ||
		err.(*event.FieldError).Field != "cost_micros" {
		t.Errorf("conversion with a cost: got %v, want a cost_micros error", err)
	}
}

func TestSplitBatch(t *testing.T) {
	cases := []struct {
		name, body string
		n          int
		reason     string
	}{
		{"array", `[{"a":1}, {"b":2}, 3]`, 3, ""},
		{"object", `{"a":1}`, 0, "JSON array"},
		{"empty", `[]`, 0, "empty"},
		{"broken", `[{"a":1}`, 0, "not a valid JSON array"},
		{"too many", "[" + strings.Repeat("{},", 500) + "{}]", 0, "more than the limit of 500"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raws, err := event.SplitBatch([]byte(tc.body))
			if tc.reason == "" {
				if err != nil || len(raws) != tc.n {
					t.Fatalf("got %d events, %v; want %d", len(raws), err, tc.n)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("got %v, want an error with %q", err, tc.reason)
			}
		})
	}
}

// TestDecodeLoneSurrogateEscapes: a \u escape of a lone UTF-16 surrogate decodes to
// U+FFFD, so different ids would become one; it is refused in every string field, like
// raw bytes that are not UTF-8, while a proper pair and an escaped U+FFFD are accepted.
func TestDecodeLoneSurrogateEscapes(t *testing.T) {
	cases := []struct {
		name, body, field, id string // field "": accepted, with event id id
	}{
		{"lone high", with("event_id", `"sur-\ud800"`), "event_id", ""},
		{"last high", with("event_id", `"sur-\udbff"`), "event_id", ""},
		{"lone low", with("event_id", `"sur-\udc00"`), "event_id", ""},
		{"low before high", with("event_id", `"\udc00\ud800"`), "event_id", ""},
		{"high before a plain escape", with("event_id", `"\ud800\u0041"`), "event_id", ""},
		{"high at the end of a pair", with("event_id", `"\ud800\ud800\udc00"`), "event_id", ""},
		{"type", with("type", `"\ud800"`), "type", ""},
		{"campaign", with("campaign_id", `"c\udfff"`), "campaign_id", ""},
		{"ad", with("ad_id", `"a\ud800"`), "ad_id", ""},
		{"user", with("user_id", `"u\ud800"`), "user_id", ""},
		{"device", with("device_id", `"d\ud800"`), "device_id", ""},
		{"login", with("login_id", `"l\ud800"`), "login_id", ""},
		{"hashed email", with("hashed_email", `"\ud800"`), "hashed_email", ""},
		{"currency", with("currency", `"EU\ud800"`), "currency", ""},
		{"channel", with("channel", `"\ud800"`), "channel", ""},
		{"time", with("occurred_at", `"2026-12-03T11:59:00Z\ud800"`), "occurred_at", ""},
		{"attribute key", with("attributes", `{"k\ud800":"v"}`), "attributes", ""},
		{"attribute value", with("attributes", `{"k":"v\udc00"}`), "attributes.k", ""},
		{"pair", with("event_id", `"sur-\ud83d\ude00"`), "", "sur-\U0001F600"},
		{"escaped replacement character", with("event_id", `"sur-\ufffd"`), "", "sur-\ufffd"},
		{"unknown field is skipped", with("note", `"\ud800"`), "", "e-1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, err := event.Decode([]byte(tc.body), now)
			if tc.field == "" {
				if err != nil || e.EventID != tc.id {
					t.Fatalf("got %q, %v; want event %q accepted", e.EventID, err, tc.id)
				}
				return
			}
			fe, ok := err.(*event.FieldError)
			if !ok {
				t.Fatalf("got event %q, error %v; want a *FieldError", e.EventID, err)
			}
			if fe.Field != tc.field || !strings.Contains(fe.Reason, "must be valid UTF-8") {
				t.Errorf("got %q: %q, want %q: must be valid UTF-8...", fe.Field, fe.Reason,
					tc.field)
			}
		})
	}
}
