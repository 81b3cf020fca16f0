package mgmt_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// adminBodies: through the gateway (which hands bodies over base64-encoded), the admin
// routes refuse what the campaign routes refuse, in the documented error shape.
func adminBodies(t *testing.T, e *env) {
	user := "/v1/users/" + e.userA
	tests := []struct {
		name, method, path, ctype, body string
		status                          int
		code                            string
		fields                          []string
	}{
		{"unknown fields", "POST", "/v1/users", "application/json",
			`{"email":"x2@a.example","role":"analyst","password":"hunter2","is_root":true}`,
			400, "validation_failed", []string{"is_root", "password"}},
		{"no content type", "POST", "/v1/users", "",
			`{"email":"x2@a.example","role":"analyst"}`, 415, "unsupported_media_type", nil},
		{"wrong type", "PATCH", user, "application/json", `{"disabled":"yes"}`, 400,
			"validation_failed", []string{"disabled"}},
		{"malformed", "POST", "/v1/users", "application/json", `{"role":`, 400, "bad_json",
			nil},
		{"70 KB", "POST", "/v1/users", "application/json",
			`{"email":"` + strings.Repeat("x", 70<<10) + `"}`, 413, "too_large", nil},
		{"email on patch", "PATCH", user, "application/json",
			`{"email":"hijack@example.com"}`, 400, "validation_failed", []string{"email"}},
		{"control characters in a label", "POST", "/v1/api-keys", "application/json",
			`{"label":"a\u0000b\n<script>"}`, 400, "validation_failed", []string{"label"}},
	}
	for _, tc := range tests {
		r := e.c.do(t, req{method: tc.method, path: tc.path, token: e.adminA, body: tc.body,
			header: map[string]string{"Content-Type": tc.ctype}, offSpec: true})
		var p struct {
			Error struct {
				Code   string
				Fields []struct{ Field string }
			}
		}
		_ = json.Unmarshal(r.body, &p)
		var fields []string
		for _, f := range p.Error.Fields {
			fields = append(fields, f.Field)
		}
		if r.status != tc.status || p.Error.Code != tc.code ||
			!reflect.DeepEqual(fields, tc.fields) {
			t.Errorf("%s: got %d %.300s, want %d %s %v", tc.name, r.status, r.body,
				tc.status, tc.code, tc.fields)
		}
	}
	r := e.c.do(t, req{method: "GET", path: user, token: e.adminA})
	want(t, "read the user", r, http.StatusOK)
	var u struct{ Email, Role string }
	r.decode(t, &u)
	if u.Email != "analyst@a.example" || u.Role != "analyst" {
		t.Errorf("the user after refused changes: %s", r.body)
	}
}
