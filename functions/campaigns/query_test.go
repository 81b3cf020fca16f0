package main

import (
	"reflect"
	"strings"
	"testing"
)

// TestQueryParameters: on the list and history routes, an empty, repeated or unknown
// parameter answers 400 naming it, as a bad value does.
func TestQueryParameters(t *testing.T) {
	h := newTestHandler(t)
	c, _ := create(t, h, managerA, body1)
	const list = "/v1/campaigns"
	history := "/v1/campaigns/" + c.ID + "/history"
	const limit = "must be an integer from 1 to 100"
	cases := []struct {
		name, path string
		query      map[string][]string
		single     map[string]string // only queryStringParameters, as older callers send
		want       []string          // failing fields; nil: 200
	}{
		{"list, no parameters", list, nil, nil, nil},
		{"list, good limit", list, map[string][]string{"limit": {"5"}}, nil, nil},
		{"list, empty cursor", list, map[string][]string{"cursor": {""}}, nil,
			[]string{"cursor: must not be empty"}},
		{"list, empty limit", list, map[string][]string{"limit": {""}}, nil,
			[]string{"limit: " + limit}},
		{"list, empty status", list, map[string][]string{"status": {""}}, nil,
			[]string{"status: must not be empty"}},
		{"list, limit twice", list, map[string][]string{"limit": {"1", "2"}}, nil,
			[]string{"limit: must be given once"}},
		{"list, cursor twice", list, map[string][]string{"cursor": {"a", "b"}}, nil,
			[]string{"cursor: must be given once"}},
		{"list, unknown", list, map[string][]string{"foo": {"1"}}, nil,
			[]string{"foo: is not a list parameter"}},
		{"list, several at once", list, map[string][]string{"foo": {"1"},
			"limit": {"1", "1"}, "sort": {"size"}}, nil, []string{
			"foo: is not a list parameter", "limit: must be given once",
			"sort: must be one of: created_at, updated_at, name, optionally prefixed " +
				"with - for descending"}},
		{"list, empty limit, single-valued only", list, nil,
			map[string]string{"limit": ""}, []string{"limit: " + limit}},
		{"history, no parameters", history, nil, nil, nil},
		{"history, good limit", history, map[string][]string{"limit": {"2"}}, nil, nil},
		{"history, unknown", history, map[string][]string{"foo": {"1"}}, nil,
			[]string{"foo: is not a history parameter"}},
		{"history, empty limit", history, map[string][]string{"limit": {""}}, nil,
			[]string{"limit: " + limit}},
		{"history, limit twice", history, map[string][]string{"limit": {"1", "2"}}, nil,
			[]string{"limit: must be given once"}},
		{"history, bad limit", history, map[string][]string{"limit": {"0"}}, nil,
			[]string{"limit: " + limit}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := do(t, h, request{who: analystA, method: "GET", path: tc.path,
				multiQuery: tc.query, query: tc.single})
			if tc.want == nil {
				wantStatus(t, tc.name, out, 200)
				return
			}
			wantStatus(t, tc.name, out, 400)
			p := decode[problem](t, out)
			var got []string
			for _, f := range p.Error.Fields {
				got = append(got, f.Field+": "+f.Reason)
			}
			if p.Error.Code != "validation_failed" || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %s %q\nwant %q", p.Error.Code, got, tc.want)
			}
		})
	}
}

// TestIdempotencyKeyHeader: a present Idempotency-Key must hold 1 to 255 printable
// ASCII characters; an empty one is refused, not taken for an absent one.
func TestIdempotencyKeyHeader(t *testing.T) {
	h := newTestHandler(t)
	cases := []struct {
		name string
		key  *string // nil: no header
		want int
	}{
		{"absent", nil, 201},
		{"empty", ptr(""), 400},
		{"one character", ptr("k"), 201},
		{"255 characters", ptr(strings.Repeat("a", 255)), 201},
		{"256 characters", ptr(strings.Repeat("b", 256)), 400},
		{"tab", ptr("a\tb"), 400},
		{"non-ASCII", ptr("clé"), 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hd := map[string]string{"Content-Type": "application/json"}
			if tc.key != nil {
				hd["Idempotency-Key"] = *tc.key
			}
			out := do(t, h, request{who: managerA, method: "POST", path: "/v1/campaigns",
				body: body1, headers: hd})
			wantStatus(t, tc.name, out, tc.want)
			if tc.want != 400 {
				return
			}
			p := decode[problem](t, out)
			if len(p.Error.Fields) != 1 || p.Error.Fields[0].Field != "Idempotency-Key" ||
				p.Error.Fields[0].Reason != "must be 1 to 255 printable ASCII characters" {
				t.Errorf("got %+v", p.Error)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
