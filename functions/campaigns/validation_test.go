package main

import (
	"encoding/base64"
	"reflect"
	"testing"
)

// TestBodyMustBeUTF8: on every route with a body, bytes that are not UTF-8 answer 400
// bad_json saying so, instead of being stored as U+FFFD.
func TestBodyMustBeUTF8(t *testing.T) {
	h := newTestHandler(t)
	c, _ := create(t, h, managerA, body1)
	path := "/v1/campaigns/" + c.ID
	bad := "{\"name\": \"Sale \xff\xfe\"}"
	cases := []struct {
		name, method, path, body string
		base64                   bool
	}{
		{"create", "POST", "/v1/campaigns", bad, false},
		{"create, base64", "POST", "/v1/campaigns", bad, true},
		{"replace", "PUT", path, bad, false},
		{"patch", "PATCH", path, bad, false},
		{"status", "PATCH", path + "/status", "{\"status\": \"active\xff\"}", false},
		{"targeting", "PUT", path + "/targeting", "{\"geo\": [\"F\xc3\"]}", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body
			if tc.base64 {
				body = base64.StdEncoding.EncodeToString([]byte(body))
			}
			out := do(t, h, request{who: managerA, method: tc.method, path: tc.path,
				body: body, base64: tc.base64})
			wantStatus(t, tc.name, out, 400)
			p := decode[problem](t, out)
			if p.Error.Code != "bad_json" || p.Error.Message != "the body must be valid UTF-8" {
				t.Errorf("got %s %q", p.Error.Code, p.Error.Message)
			}
		})
	}
	got := decode[struct{ Name string }](t, do(t, h, request{who: managerA, method: "GET",
		path: path}))
	if got.Name != "Spring sale" {
		t.Errorf("name is now %q", got.Name)
	}
}

// TestFieldReasons: the answers name each bad field with the reason that fits it: the
// type expected, the range, the index of an array element, the character refused.
func TestFieldReasons(t *testing.T) {
	h := newTestHandler(t)
	c, _ := create(t, h, managerA, body1)
	path := "/v1/campaigns/" + c.ID
	cases := []struct {
		name, method, path, body string
		want                     []string
	}{
		{"name a number", "PATCH", path, `{"name": 5}`, []string{"name: must be a string"}},
		{"objectives a string", "PATCH", path, `{"objectives": "sales"}`,
			[]string{"objectives: must be an array of strings"}},
		{"total a string", "PATCH", path, `{"budget": {"total_micros": "5"}}`,
			[]string{"budget.total_micros: must be an integer"}},
		{"total beyond int64", "PATCH", path,
			`{"budget": {"total_micros": 99999999999999999999999}}`,
			[]string{"budget.total_micros: must be an integer from 1 to 1000000000000000"}},
		{"total 1e400", "PATCH", path, `{"budget": {"total_micros": 1e400}}`,
			[]string{"budget.total_micros: must be an integer from 1 to 1000000000000000"}},
		{"fractional hour", "PUT", path + "/targeting", `{"dayparting": [{"days": ["mon"],
			"start_hour": 8.5, "end_hour": 20}]}`,
			[]string{"targeting.dayparting[0].start_hour: must be an integer"}},
		{"all at once", "PATCH", path, `{"name": 5, "objectives": "sales",
			"budget": {"total_micros": "5"}}`, []string{
			"budget.total_micros: must be an integer", "name: must be a string",
			"objectives: must be an array of strings"}},
		{"right-to-left override", "PATCH", path, `{"name": "Sale \u202e"}`, []string{
			"name: must not hold control or format characters (found U+202E)"}},
		{"zero-width space", "POST", "/v1/campaigns", `{"name": "Sa\u200ble",
			"brand_id": "b", "objectives": ["sales"], "channels": ["video"],
			"budget": {"total_micros": 10, "currency": "USD"},
			"schedule": {"start": "2026-03-01T00:00:00Z", "timezone": "UTC"}}`, []string{
			"name: must not hold control or format characters (found U+200B)"}},
		{"schedule in year 1", "PATCH", path, `{"schedule": {"start":
			"0001-01-01T00:00:00Z", "end": null}}`,
			[]string{"schedule.start: must be in the years 2000 to 2100"}},
		{"schedule in year 9999", "PATCH", path, `{"schedule": {"end":
			"9999-12-31T23:59:59Z"}}`,
			[]string{"schedule.end: must be in the years 2000 to 2100"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := do(t, h, request{who: managerA, method: tc.method, path: tc.path,
				body: tc.body})
			wantStatus(t, tc.name, out, 400)
			var got []string
			for _, f := range decode[problem](t, out).Error.Fields {
				got = append(got, f.Field+": "+f.Reason)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}
