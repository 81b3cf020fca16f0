package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

const jsonCT = "application/json"

// problemOf returns the code and the "field: reason" lines of an error answer, and
// checks it has the documented shape.
func problemOf(t *testing.T, body map[string]any) (string, []string) {
	t.Helper()
	e, _ := body["error"].(map[string]any)
	if e == nil || body["request_id"] != "req-test" || e["message"] == "" {
		t.Errorf("not the error shape: %v", body)
		return "", nil
	}
	var fields []string
	list, _ := e["fields"].([]any)
	for _, f := range list {
		m := f.(map[string]any)
		fields = append(fields, fmt.Sprint(m["field"], ": ", m["reason"]))
	}
	code, _ := e["code"].(string)
	return code, fields
}

// TestBodiesAreStrict: admin bodies need a JSON media type, are bounded, and every
// unknown field and wrong type is named, as on the campaign routes.
func TestBodiesAreStrict(t *testing.T) {
	f := newFixture(t)
	pa := admin(f.a)
	_, body := f.call(t, pa, "POST", "/v1/users",
		map[string]any{"email": "bo@a.example", "role": "analyst"})
	id, _ := body["id"].(string)
	user := "/v1/users/" + id
	deep := `{"email":"x@a.example","role":` + strings.Repeat("[", 5000) +
		strings.Repeat("]", 5000) + `}`
	big := `{"email":"x@a.example","role":"analyst","pad":"` +
		strings.Repeat("x", 70<<10) + `"}`
	emailReason := "email: must be a plain address like ana@example.com"

	tests := []struct {
		name, method, path, ctype, body string
		status                          int
		code                            string
		fields                          []string
	}{
		{"unknown fields on create", "POST", "/v1/users", jsonCT,
			`{"email":"x2@a.example","role":"analyst","password":"hunter2","is_root":true}`,
			400, "validation_failed", []string{
				"is_root: is not a field of a new user (email, role)",
				"password: is not a field of a new user (email, role)"}},
		{"field names match exactly", "POST", "/v1/users", jsonCT,
			`{"EMAIL":"x2@a.example","role":"analyst"}`, 400, "validation_failed",
			[]string{"EMAIL: is not a field of a new user (email, role)", emailReason}},
		{"no content type", "POST", "/v1/users", "",
			`{"email":"x2@a.example","role":"analyst"}`, 415, "unsupported_media_type", nil},
		{"form content type", "POST", "/v1/users", "application/x-www-form-urlencoded",
			`email=x2@a.example`, 415, "unsupported_media_type", nil},
		{"no content type on patch", "PATCH", user, "", `{"role":"admin"}`, 415,
			"unsupported_media_type", nil},
		{"no content type on a key", "POST", "/v1/api-keys", "", `{"label":"x"}`, 415,
			"unsupported_media_type", nil},
		{"role of the wrong type", "POST", "/v1/users", jsonCT, `{"role":1}`, 400,
			"validation_failed", []string{emailReason, "role: must be a string"}},
		{"every wrong type", "POST", "/v1/users", jsonCT, `{"email":[],"role":{}}`, 400,
			"validation_failed", []string{"email: must be a string",
				"role: must be a string"}},
		{"disabled of the wrong type", "PATCH", user, jsonCT, `{"disabled":"yes"}`, 400,
			"validation_failed", []string{"disabled: must be true or false"}},
		{"label of the wrong type", "POST", "/v1/api-keys", jsonCT, `{"label":5}`, 400,
			"validation_failed", []string{"label: must be a string"}},
		{"malformed", "POST", "/v1/users", jsonCT, `{"email":`, 400, "bad_json", nil},
		{"not an object", "POST", "/v1/users", jsonCT, `["x"]`, 400, "bad_json", nil},
		{"null", "PATCH", user, jsonCT, `null`, 400, "bad_json", nil},
		{"empty body", "POST", "/v1/api-keys", jsonCT, ``, 400, "bad_json", nil},
		{"5000-deep nesting", "POST", "/v1/users", jsonCT, deep, 400, "validation_failed",
			[]string{"role: must be a string"}},
		{"70 KB", "POST", "/v1/users", jsonCT, big, 413, "too_large", nil},
		{"email on patch", "PATCH", user, jsonCT, `{"email":"hijack@example.com"}`, 400,
			"validation_failed", []string{"email: cannot be changed"}},
		{"email beside a role on patch", "PATCH", user, jsonCT,
			`{"email":"hijack@example.com","role":"admin","id":"u_x"}`, 400,
			"validation_failed", []string{"email: cannot be changed", "id: cannot be changed"}},
		{"unknown field on patch", "PATCH", user, jsonCT, `{"disabled":true,"is_root":true}`,
			400, "validation_failed", []string{
				"is_root: is not a field of a user change (role, disabled)"}},
		{"unknown field on a key", "POST", "/v1/api-keys", jsonCT,
			`{"label":"x","tenant":"t_b"}`, 400, "validation_failed",
			[]string{"tenant: is not a field of a new API key (label)"}},
		{"empty patch", "PATCH", user, jsonCT, `{}`, 400, "validation_failed",
			[]string{"role: give role, disabled or both"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := f.send(t, pa, tc.method, tc.path, tc.ctype, tc.body)
			code, fields := problemOf(t, body)
			if status != tc.status || code != tc.code || !reflect.DeepEqual(fields, tc.fields) {
				t.Errorf("got %d %s %q\nwant %d %s %q", status, code, fields, tc.status,
					tc.code, tc.fields)
			}
		})
	}

	// Nothing was created or changed by the refused bodies.
	_, body = f.call(t, pa, "GET", "/v1/users", nil)
	if users, _ := body["users"].([]any); len(users) != 2 {
		t.Errorf("users: %v, want the admin and bo", body)
	}
	_, body = f.call(t, pa, "GET", user, nil)
	if body["email"] != "bo@a.example" || body["role"] != "analyst" || body["disabled"] != false {
		t.Errorf("bo after the refused patches: %v", body)
	}
	_, body = f.call(t, pa, "GET", "/v1/api-keys", nil)
	if keys, _ := body["api_keys"].([]any); len(keys) != 1 {
		t.Errorf("keys: %v, want the ingest key only", body)
	}
}

// TestBodiesAsTheGatewaySendsThem: a base64 body with a charset parameter is accepted.
func TestBodiesAsTheGatewaySendsThem(t *testing.T) {
	f := newFixture(t)
	req := events.APIGatewayProxyRequest{HTTPMethod: "POST", Path: "/v1/users",
		Headers: map[string]string{"content-type": "application/json; charset=utf-8"},
		Body: base64.StdEncoding.EncodeToString(
			[]byte(`{"email":"cy@a.example","role":"analyst"}`)),
		IsBase64Encoded: true}
	req.RequestContext.Authorizer = admin(f.a).Context()
	resp, err := f.h.Handle(context.Background(), req)
	if err != nil || resp.StatusCode != 201 || !strings.Contains(resp.Body, "cy@a.example") {
		t.Errorf("got %d %s %v, want 201", resp.StatusCode, resp.Body, err)
	}
}

// TestFreeTextIsPrintable: labels and emails refuse control and format characters and
// invalid UTF-8; labels are 1 to 100 characters.
func TestFreeTextIsPrintable(t *testing.T) {
	f := newFixture(t)
	pa := admin(f.a)
	const control = "label: must not hold control or format characters"
	tests := []struct {
		name, path, body string
		status           int
		fields           []string
		label            string // of a created key
	}{
		{"NUL, newline and markup", "/v1/api-keys", `{"label":"a\u0000b\n<script>"}`, 400,
			[]string{control}, ""},
		{"tab", "/v1/api-keys", `{"label":"a\tb"}`, 400, []string{control}, ""},
		{"C1 control", "/v1/api-keys", `{"label":"a\u0085b"}`, 400, []string{control}, ""},
		{"zero-width space", "/v1/api-keys", `{"label":"web\u200bsite"}`, 400,
			[]string{control}, ""},
		{"right-to-left override", "/v1/api-keys", `{"label":"\u202etxt.exe"}`, 400,
			[]string{control}, ""},
		{"byte order mark", "/v1/api-keys", `{"label":"\ufeffsite"}`, 400,
			[]string{control}, ""},
		{"invalid UTF-8", "/v1/api-keys", "{\"label\":\"a\xc3b\"}", 400,
			[]string{"label: must be valid UTF-8"}, ""},
		{"lone surrogate", "/v1/api-keys", `{"label":"a\ud800"}`, 400,
			[]string{"label: must be valid UTF-8"}, ""},
		{"blank", "/v1/api-keys", `{"label":"   "}`, 400,
			[]string{"label: must have 1 to 100 characters"}, ""},
		{"missing", "/v1/api-keys", `{}`, 400,
			[]string{"label: must have 1 to 100 characters"}, ""},
		{"101 characters", "/v1/api-keys", `{"label":"` + strings.Repeat("é", 101) + `"}`,
			400, []string{"label: must have 1 to 100 characters"}, ""},
		{"100 characters", "/v1/api-keys", `{"label":"` + strings.Repeat("é", 100) + `"}`,
			201, nil, strings.Repeat("é", 100)},
		{"trimmed, accents and emoji", "/v1/api-keys", `{"label":"  Café 😀 site "}`, 201,
			nil, "Café 😀 site"},
		{"email with a zero-width space", "/v1/users",
			`{"email":"ana\u200b@a.example","role":"analyst"}`, 400,
			[]string{"email: must be a plain address like ana@example.com"}, ""},
		{"email with a right-to-left override", "/v1/users",
			`{"email":"ana@a.example\u202e","role":"analyst"}`, 400,
			[]string{"email: must be a plain address like ana@example.com"}, ""},
		{"email of invalid UTF-8", "/v1/users",
			"{\"email\":\"an\xffa@a.example\",\"role\":\"analyst\"}", 400,
			[]string{"email: must be valid UTF-8"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := f.send(t, pa, "POST", tc.path, jsonCT, tc.body)
			if tc.status == 201 {
				if status != 201 || body["label"] != tc.label {
					t.Errorf("got %d %v, want 201 with label %q", status, body, tc.label)
				}
				return
			}
			code, fields := problemOf(t, body)
			if status != tc.status || code != "validation_failed" ||
				!reflect.DeepEqual(fields, tc.fields) {
				t.Errorf("got %d %s %q, want %d validation_failed %q", status, code, fields,
					tc.status, tc.fields)
			}
		})
	}
	_, body := f.call(t, pa, "GET", "/v1/api-keys", nil)
	if keys, _ := body["api_keys"].([]any); len(keys) != 3 {
		t.Errorf("keys: %v, want the ingest key and the two accepted ones", body)
	}
}
