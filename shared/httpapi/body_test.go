package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/shared/httpapi"
)

func TestReadBody(t *testing.T) {
	tests := []struct {
		name, ctype, body string
		base64            bool
		status            int // 0: accepted
		code              string
	}{
		{"json", "application/json", `{"a":1}`, false, 0, ""},
		{"json with charset", "Application/JSON; charset=utf-8", `{}`, false, 0, ""},
		{"base64 json", "application/json", `{"a":1}`, true, 0, ""},
		{"no content type", "", `{}`, false, 415, "unsupported_media_type"},
		{"form", "application/x-www-form-urlencoded", `a=b`, false, 415,
			"unsupported_media_type"},
		{"text", "text/plain", `{}`, false, 415, "unsupported_media_type"},
		{"malformed content type", "application/", `{}`, false, 415, "unsupported_media_type"},
		{"at the limit", "application/json", strings.Repeat(" ", 16<<10), false, 0, ""},
		{"over the limit", "application/json", strings.Repeat(" ", 16<<10+1), false, 413,
			"too_large"},
		{"over the limit, base64", "application/json", strings.Repeat(" ", 70<<10), true,
			413, "too_large"},
		{"bad base64", "application/json", "not base64!", false, 400, "bad_json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := events.APIGatewayProxyRequest{Body: tc.body}
			if tc.ctype != "" {
				req.Headers = map[string]string{"content-type": tc.ctype}
			}
			if tc.base64 {
				req.Body, req.IsBase64Encoded = base64.StdEncoding.EncodeToString(
					[]byte(tc.body)), true
			}
			if tc.name == "bad base64" {
				req.IsBase64Encoded = true
			}
			r := httpapi.NewResponder(&req, nil)
			data, refused := r.ReadBody(&req, 16<<10, httpapi.JSONType)
			if tc.status == 0 {
				if refused != nil || string(data) != tc.body {
					t.Fatalf("got %q, refused %+v; want the body", data, refused)
				}
				return
			}
			if refused == nil {
				t.Fatalf("accepted %q, want %d", data, tc.status)
			}
			var p struct{ Error httpapi.Problem }
			_ = json.Unmarshal([]byte(refused.Body), &p)
			if refused.StatusCode != tc.status || p.Error.Code != tc.code {
				t.Errorf("got %d %s, want %d %s", refused.StatusCode, refused.Body,
					tc.status, tc.code)
			}
		})
	}
}

type sample struct {
	Name    string  `json:"name"`
	Role    *string `json:"role"`
	Enabled *bool   `json:"enabled"`
	Count   int     `json:"count,omitempty"`
}

func TestDecodeObject(t *testing.T) {
	unknown := func(k string) string { return "is not a sample field" }
	deep := `{"name":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`
	tests := []struct {
		name, body string
		want       []string // field: reason
		bad        bool     // ErrBadJSON
		check      func(sample) bool
	}{
		{"all fields", `{"name":"a","role":"x","enabled":true,"count":3}`, nil, false,
			func(s sample) bool {
				return s.Name == "a" && *s.Role == "x" && *s.Enabled && s.Count == 3
			}},
		{"ignored key", `{"name":"a","tenant_id":"t_b"}`, nil, false,
			func(s sample) bool { return s.Name == "a" }},
		{"null leaves the zero value", `{"role":null}`, nil, false,
			func(s sample) bool { return s.Role == nil }},
		{"unknown fields", `{"name":"a","is_root":true,"password":"x"}`,
			[]string{"is_root: is not a sample field", "password: is not a sample field"},
			false, func(s sample) bool { return s.Name == "a" }},
		{"keys match exactly", `{"NAME":"a"}`, []string{"NAME: is not a sample field"},
			false, func(s sample) bool { return s.Name == "" }},
		{"every wrong type", `{"name":1,"role":{},"enabled":"yes","count":1.5}`,
			[]string{"count: must be an integer", "enabled: must be true or false",
				"name: must be a string", "role: must be a string"}, false, nil},
		{"deep nesting", deep, []string{"name: must be a string"}, false, nil},
		{"invalid UTF-8", "{\"name\":\"a\xffb\"}", []string{"name: must be valid UTF-8"},
			false, nil},
		{"lone high surrogate", `{"name":"a\ud800b"}`, []string{"name: must be valid UTF-8"},
			false, nil},
		{"lone low surrogate", `{"name":"\udc00"}`, []string{"name: must be valid UTF-8"},
			false, nil},
		{"surrogate pair", `{"name":"\ud83d\ude00 \\u \u00e9"}`, nil, false,
			func(s sample) bool { return s.Name == "😀 \\u é" }},
		{"malformed", `{"name":`, nil, true, nil},
		{"array", `[1]`, nil, true, nil},
		{"null", `null`, nil, true, nil},
		{"string", `"x"`, nil, true, nil},
		{"trailing data", `{} {}`, nil, true, nil},
		{"empty", ``, nil, true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s sample
			fields, err := httpapi.DecodeObject([]byte(tc.body), &s, unknown, "tenant_id")
			if tc.bad {
				if !errors.Is(err, httpapi.ErrBadJSON) {
					t.Fatalf("got %v %v, want ErrBadJSON", fields, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range fields {
				got = append(got, f.Field+": "+f.Reason)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("fields %q, want %q", got, tc.want)
			}
			if tc.check != nil && !tc.check(s) {
				t.Errorf("decoded %+v", s)
			}
		})
	}
	if _, err := httpapi.DecodeObject([]byte(`{}`), sample{}, unknown); err == nil ||
		errors.Is(err, httpapi.ErrBadJSON) {
		t.Errorf("a non-pointer: got %v, want a programming error", err)
	}
}

func TestUnprintable(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"web site", false},
		{"Café – ünïcode 😀", false},
		{"", false},
		{"a\x00b", true},
		{"line\nbreak", true},
		{"tab\there", true},
		{"del\x7f", true},
		{"c1 \u0085", true},
		{"zero\u200bwidth", true},
		{"family \U0001F468\u200d\U0001F469\u200d\U0001F467", false}, // joined emoji
		{"\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", false},  // Persian ZWNJ
		{"bidi \u202egnp.exe", true},
		{"\ufeffbom", true},
		{"soft\u00adhyphen", true},
		{"bad \xff byte", true},
	}
	for _, tc := range tests {
		if got := httpapi.Unprintable(tc.s); got != tc.want {
			t.Errorf("Unprintable(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

func TestMergeFields(t *testing.T) {
	decoded := []httpapi.FieldError{{Field: "schedule", Reason: "must be an object"},
		{Field: "channels", Reason: "must be an array"}}
	validated := []httpapi.FieldError{{Field: "schedule.start", Reason: "is required"},
		{Field: "channels[0]", Reason: "unknown channel"}, {Field: "name", Reason: "is required"},
		{Field: "schedule", Reason: "is required"}, {Field: "budget", Reason: "is required"}}

	got := httpapi.MergeFields(decoded, validated)

	want := []string{"budget: is required", "channels: must be an array",
		"name: is required", "schedule: must be an object"}
	var lines []string
	for _, f := range got {
		lines = append(lines, f.Field+": "+f.Reason)
	}
	if strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", lines, want)
	}
}
