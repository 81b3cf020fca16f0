package campaign_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/adpulse/adpulse/shared/campaign"
)

// withFields is validBody with some top-level fields replaced (or added) by those of
// the JSON object fields, kept byte for byte.
func withFields(t *testing.T, fields string) []byte {
	t.Helper()
	var doc, over map[string]json.RawMessage
	if err := json.Unmarshal([]byte(validBody), &doc); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(fields), &over); err != nil {
		t.Fatalf("fields %s: %v", fields, err)
	}
	for k, v := range over {
		doc[k] = v
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// fe is a failing field as the tests write it.
type fe struct{ Field, Reason string }

// fieldsOf lists the failing fields of a *ValidationError, or nil.
func fieldsOf(err error) []fe {
	var ve *campaign.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	out := make([]fe, len(ve.Fields))
	for i, f := range ve.Fields {
		out[i] = fe(f)
	}
	return out
}

// TestDecodeSpecTypeAndRangeReasons: a value of the wrong JSON type is reported with
// the type expected, numbers out of range with the range, and array elements with
// their index; every such field is listed, not only the first.
func TestDecodeSpecTypeAndRangeReasons(t *testing.T) {
	const total = "must be an integer from 1 to 1000000000000000"
	cases := []struct {
		name, fields string
		want         []fe
	}{
		{"name a number", `{"name": 5}`, []fe{{"name", "must be a string"}}},
		{"name an object", `{"name": {"a": 1}}`, []fe{{"name", "must be a string"}}},
		{"objectives a string", `{"objectives": "sales"}`,
			[]fe{{"objectives", "must be an array of strings"}}},
		{"objectives element a number", `{"objectives": ["sales", 5]}`,
			[]fe{{"objectives[1]", "must be a string"}}},
		{"total a string", `{"budget": {"total_micros": "5", "currency": "USD"}}`,
			[]fe{{"budget.total_micros", "must be an integer"}}},
		{"total too large for int64", `{"budget": {"total_micros": 99999999999999999999999,
			"currency": "USD"}}`, []fe{{"budget.total_micros", total}}},
		{"total too small for int64", `{"budget": {"total_micros": -99999999999999999999999,
			"currency": "USD"}}`, []fe{{"budget.total_micros", total}}},
		{"total 1e400", `{"budget": {"total_micros": 1e400, "currency": "USD"}}`,
			[]fe{{"budget.total_micros", total}}},
		{"total over the limit", `{"budget": {"total_micros": 1000000000000001,
			"currency": "USD"}}`, []fe{{"budget.total_micros", total}}},
		{"total zero", `{"budget": {"total_micros": 0, "currency": "USD"}}`,
			[]fe{{"budget.total_micros", total}}},
		{"total fractional", `{"budget": {"total_micros": 10.5, "currency": "USD"}}`,
			[]fe{{"budget.total_micros", "must be an integer"}}},
		{"total 1e-400", `{"budget": {"total_micros": 1e-400, "currency": "USD"}}`,
			[]fe{{"budget.total_micros", "must be an integer"}}},
		{"total whole with a fraction part", `{"budget": {"total_micros": 10.0,
			"currency": "USD"}}`, []fe{{"budget.total_micros",
			"must be an integer written without a fraction or exponent"}}},
		{"daily cap 1e400", `{"budget": {"total_micros": 10, "daily_cap_micros": 1e400,
			"currency": "USD"}}`, []fe{{"budget.daily_cap_micros",
			"must be an integer from 1 to budget.total_micros"}}},
		{"daily cap over total", `{"budget": {"total_micros": 10, "daily_cap_micros": 11,
			"currency": "USD"}}`, []fe{{"budget.daily_cap_micros",
			"must not exceed budget.total_micros"}}},
		{"budget a number", `{"budget": 5}`, []fe{{"budget", "must be an object"}}},
		{"dayparting an object", `{"targeting": {"dayparting": {"days": ["mon"]}}}`,
			[]fe{{"targeting.dayparting", "must be an array of objects"}}},
		{"fractional hour keeps its index", `{"targeting": {"dayparting": [
			{"days": ["mon"], "start_hour": 1.5, "end_hour": 3}]}}`,
			[]fe{{"targeting.dayparting[0].start_hour", "must be an integer"}}},
		{"second window wrong", `{"targeting": {"dayparting": [
			{"days": ["mon"], "start_hour": 8, "end_hour": 20},
			{"days": "mon", "start_hour": 2, "end_hour": 1e400}]}}`,
			[]fe{{"targeting.dayparting[1].days", "must be an array of strings"},
				{"targeting.dayparting[1].end_hour", "must be an integer from 1 to 24"}}},
		{"hour out of range", `{"targeting": {"dayparting": [
			{"days": ["mon"], "start_hour": 24, "end_hour": 25}]}}`,
			[]fe{{"targeting.dayparting[0].end_hour", "must be an integer from 1 to 24"},
				{"targeting.dayparting[0].start_hour", "must be an integer from 0 to 23"}}},
		{"every wrong type at once", `{"name": 5, "objectives": "sales",
			"budget": {"total_micros": "5", "currency": 7}, "channels": [true]}`,
			[]fe{{"budget.currency", "must be a string"},
				{"budget.total_micros", "must be an integer"},
				{"channels[0]", "must be a string"}, {"name", "must be a string"},
				{"objectives", "must be an array of strings"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := campaign.DecodeSpec(withFields(t, tc.fields))
			if got := fieldsOf(err); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v (%v)\nwant %+v", got, err, tc.want)
			}
		})
	}
}

// TestDecodeSpecText: free text must be valid UTF-8 (else the body is refused as a
// whole) and hold no control (Cc) or format (Cf) characters.
func TestDecodeSpecText(t *testing.T) {
	cases := []struct {
		name string
		body []byte
		err  error // for a body refused as a whole
		want []fe
	}{
		{"invalid UTF-8 in the name", []byte(`{"name": "Sale ` + "\xff\xfe" + `"}`),
			campaign.ErrInvalidUTF8, nil},
		{"invalid UTF-8 in a key", []byte(`{"n` + "\xc3" + `": 1}`),
			campaign.ErrInvalidUTF8, nil},
		{"right-to-left override", withFields(t, `{"name": "Sale `+"\u202e"+`elas"}`), nil,
			[]fe{{"name", "must not hold control or format characters (found U+202E)"}}},
		{"escaped zero-width space", withFields(t, `{"name": "Sa\u200ble"}`), nil,
			[]fe{{"name", "must not hold control or format characters (found U+200B)"}}},
		{"bell", withFields(t, `{"name": "Sale\u0007"}`), nil,
			[]fe{{"name", "must not hold control or format characters (found U+0007)"}}},
		{"tab", withFields(t, `{"name": "Spring\tsale"}`), nil,
			[]fe{{"name", "must not hold control or format characters (found U+0009)"}}},
		{"blank", withFields(t, `{"name": "  "}`), nil, []fe{{"name", "must not be blank"}}},
		{"accents and emoji", withFields(t, `{"name": "Été ☀️ 🌞 日本"}`), nil, nil},
		{"emoji joined with U+200D", withFields(t, `{"name": "Family \ud83d\udc68\u200d`+
			`\ud83d\udc69\u200d\ud83d\udc67 sale"}`), nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := campaign.DecodeSpec(tc.body)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || !errors.Is(err, campaign.ErrBadJSON) {
					t.Errorf("got %v, want %v (a kind of ErrBadJSON)", err, tc.err)
				}
				return
			}
			if tc.want == nil {
				if err != nil {
					t.Errorf("got %v, want none", err)
				}
				return
			}
			if got := fieldsOf(err); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v (%v), want fields %+v", got, err, tc.want)
			}
		})
	}
}

// TestDecodeSpecScheduleYears: schedule dates lie in the years 2000 to 2100, as
// report ranges start in 2000.
func TestDecodeSpecScheduleYears(t *testing.T) {
	const years = "must be in the years 2000 to 2100"
	cases := []struct {
		name, schedule string
		want           []fe
	}{
		{"first and last days", `{"start": "2000-01-01T00:00:00Z",
			"end": "2100-12-31T23:59:59Z", "timezone": "UTC"}`, nil},
		{"year 1", `{"start": "0001-01-01T00:00:00Z", "timezone": "UTC"}`,
			[]fe{{"schedule.start", years}}},
		{"year 1999", `{"start": "1999-12-31T23:59:59Z", "timezone": "UTC"}`,
			[]fe{{"schedule.start", years}}},
		{"year 9999", `{"start": "2026-01-01T00:00:00Z", "end": "9999-12-31T23:59:59Z",
			"timezone": "UTC"}`, []fe{{"schedule.end", years}}},
		{"year 2101", `{"start": "2101-01-01T00:00:00Z", "timezone": "UTC"}`,
			[]fe{{"schedule.start", years}}},
		{"end in 1999 is not also before start", `{"start": "2026-01-01T00:00:00Z",
			"end": "1999-01-01T00:00:00Z", "timezone": "UTC"}`,
			[]fe{{"schedule.end", years}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := campaign.DecodeSpec(withFields(t, `{"schedule": `+tc.schedule+`}`))
			if tc.want == nil {
				if err != nil {
					t.Errorf("got %v, want none", err)
				}
				return
			}
			if got := fieldsOf(err); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v (%v), want fields %+v", got, err, tc.want)
			}
		})
	}
}
