package mgmt_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestValidatorRejectsWhatTheDocumentForbids guards the end-to-end test: the
// validation it relies on does refuse answers and requests outside the document.
func TestValidatorRejectsWhatTheDocumentForbids(t *testing.T) {
	c := newClient(t, "http://127.0.0.1:3000")
	answer := func(status int, body string) *http.Response {
		rec := httptest.NewRecorder()
		rec.Header().Set("Content-Type", "application/json")
		rec.WriteHeader(status)
		_, _ = rec.WriteString(body)
		resp := rec.Result()
		resp.Body = io.NopCloser(bytes.NewReader([]byte(body)))
		return resp
	}
	request := func(method, path, body string) *http.Request {
		r := httptest.NewRequest(method, "http://127.0.0.1:3000"+path,
			bytes.NewReader([]byte(body)))
		r.Header.Set("Authorization", "Bearer x")
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		return r
	}
	cases := []struct {
		name string
		req  *http.Request
		resp *http.Response
	}{
		{"user without its fields", request("GET", "/v1/users/u_1", ""),
			answer(200, `{"nope":1}`)},
		{"error without request_id", request("GET", "/v1/users/u_1", ""),
			answer(404, `{"error":{"code":"not_found","message":"x"}}`)},
		{"other status, body of no error shape", request("GET", "/v1/users", ""),
			answer(418, `{"x":1}`)},
		{"unknown route", request("GET", "/v1/nowhere", ""), answer(200, `{}`)},
		{"campaign body missing fields", request("POST", "/v1/campaigns", `{"name":"x"}`),
			answer(400, `{"error":{"code":"validation_failed","message":"x"},"request_id":"r"}`)},
		{"bad query value", request("GET", "/v1/campaigns?limit=1000", ""),
			answer(400, `{"error":{"code":"validation_failed","message":"x"},"request_id":"r"}`)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ok, _ := c.v.ValidateHttpRequestResponse(tc.req, tc.resp)
			if ok {
				t.Error("validated")
			}
		})
	}
}
