package campaign_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/httpapi"
)

// validBody is a campaign body that passes validation.
const validBody = `{
	"name": "Spring sale", "brand_id": "brand_1",
	"objectives": ["sales", "traffic"], "channels": ["display", "search"],
	"budget": {"total_micros": 5000000000, "daily_cap_micros": 250000000, "currency": "EUR"},
	"schedule": {"start": "2026-03-01T00:00:00Z", "end": "2026-03-31T23:59:59Z",
		"timezone": "Europe/Paris"},
	"targeting": {"geo": ["FR", "US-CA"], "devices": ["mobile"], "audiences": ["aud_1"],
		"dayparting": [{"days": ["mon", "tue"], "start_hour": 8, "end_hour": 20}]}
}`

func fieldNames(err error) []string {
	var ve *campaign.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	names := []string{}
	for _, f := range ve.Fields {
		names = append(names, f.Field)
	}
	return names
}

func TestDecodeSpecListsEveryField(t *testing.T) {
	cases := []struct {
		name string
		body string
		want []string
	}{
		{"valid", validBody, nil},
		{"empty object", `{}`, []string{"brand_id", "budget", "channels", "name", "objectives",
			"schedule"}},
		{"every field wrong", `{
			"name": "` + strings.Repeat("n", 201) + `", "brand_id": "brand 1",
			"objectives": ["fame", "sales"], "channels": [],
			"budget": {"total_micros": -1, "daily_cap_micros": 0, "currency": "EURO"},
			"schedule": {"start": "yesterday", "end": "2026-01-01", "timezone": "Mars/Base"},
			"targeting": {"geo": ["FRA", "US-XX"], "devices": ["mobile", "mobile"],
				"audiences": ["a b"], "dayparting": [{"days": ["moon"], "start_hour": 9,
				"end_hour": 9}, {"days": [], "start_hour": 24, "end_hour": 25}]},
			"colour": "red"}`,
			[]string{"brand_id", "budget.currency", "budget.daily_cap_micros",
				"budget.total_micros", "channels", "colour", "name", "objectives[0]",
				"schedule.end", "schedule.start", "schedule.timezone",
				"targeting.audiences[0]", "targeting.dayparting[0].days[0]",
				"targeting.dayparting[0].end_hour", "targeting.dayparting[1].days",
				"targeting.dayparting[1].end_hour", "targeting.dayparting[1].start_hour",
				"targeting.devices", "targeting.geo[0]", "targeting.geo[1]"}},
		{"daily cap over total and end before start", `{"name": "n", "brand_id": "b",
			"objectives": ["leads"], "channels": ["video"],
			"budget": {"total_micros": 10, "daily_cap_micros": 11, "currency": "USD"},
			"schedule": {"start": "2026-03-02T00:00:00Z", "end": "2026-03-01T00:00:00+01:00",
				"timezone": "UTC"}}`,
			[]string{"budget.daily_cap_micros", "schedule.end"}},
		{"wrong type plus other failures", `{"name": "", "brand_id": "b",
			"objectives": ["leads"], "channels": ["video"],
			"budget": {"total_micros": "lots", "currency": "USD"},
			"schedule": {"start": "2026-03-02T00:00:00Z", "timezone": "UTC"}}`,
			[]string{"budget.total_micros", "name"}},
		{"server fields ignored", `{"id": "cmp_x", "tenant_id": "t_other", "status": "active",
			"version": 9, "created_by": "me", "name": "n", "brand_id": "b",
			"objectives": ["leads"], "channels": ["video"],
			"budget": {"total_micros": 10, "currency": "USD"},
			"schedule": {"start": "2026-03-02T00:00:00Z", "timezone": "UTC"}}`, nil},
		{"blank name", `{"name": "  ", "brand_id": "b", "objectives": ["leads"],
			"channels": ["video"], "budget": {"total_micros": 10, "currency": "USD"},
			"schedule": {"start": "2026-03-02T00:00:00Z", "timezone": "Local"}}`,
			[]string{"name", "schedule.timezone"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := campaign.DecodeSpec([]byte(tc.body))
			got := fieldNames(err)
			if tc.want == nil && err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if tc.want != nil && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got fields\n%q\nwant\n%q\n(%v)", got, tc.want, err)
			}
		})
	}
}

func TestDecodeSpecReasons(t *testing.T) {
	_, err := campaign.DecodeSpec([]byte(`{"name": "n", "brand_id": "b",
		"objectives": ["leads"], "channels": ["video"],
		"budget": {"total_micros": 10, "daily_cap_micros": 20, "currency": "USD"},
		"schedule": {"start": "2026-03-02T00:00:00Z", "timezone": "UTC"}}`))
	var ve *campaign.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("got %v, want a ValidationError", err)
	}
	want := []httpapi.FieldError{{Field: "budget.daily_cap_micros",
		Reason: "must not exceed budget.total_micros"}}
	if !reflect.DeepEqual(ve.Fields, want) {
		t.Errorf("got %+v, want %+v", ve.Fields, want)
	}
}

func TestDecodeSpecNotAnObject(t *testing.T) {
	for _, body := range []string{``, `[]`, `null`, `"x"`, `{"a":1} {}`, `{`} {
		if _, err := campaign.DecodeSpec([]byte(body)); !errors.Is(err, campaign.ErrBadJSON) {
			t.Errorf("body %q: got %v, want ErrBadJSON", body, err)
		}
	}
}

func mustSpec(t *testing.T, body string) campaign.Spec {
	t.Helper()
	s, err := campaign.DecodeSpec([]byte(body))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return s
}

func TestPatch(t *testing.T) {
	base := mustSpec(t, validBody)
	cases := []struct {
		name   string
		patch  string
		check  func(s campaign.Spec) string // "" when the result is right
		fields []string
	}{
		{"scalar replaced", `{"name": "Summer"}`, func(s campaign.Spec) string {
			return want(s.Name == "Summer" && s.BrandID == "brand_1", "name changed only")
		}, nil},
		{"nested object merges", `{"budget": {"total_micros": 6000000000}}`,
			func(s campaign.Spec) string {
				return want(s.Budget.TotalMicros == 6000000000 && s.Budget.Currency == "EUR" &&
					*s.Budget.DailyCapMicros == 250000000, "total changed, rest kept")
			}, nil},
		{"null removes optional field", `{"budget": {"daily_cap_micros": null},
			"schedule": {"end": null}}`, func(s campaign.Spec) string {
			return want(s.Budget.DailyCapMicros == nil && s.Schedule.End == "" &&
				s.Schedule.Start != "", "cap and end removed")
		}, nil},
		{"null removes optional object", `{"targeting": null}`, func(s campaign.Spec) string {
			return want(s.Targeting == nil, "targeting removed")
		}, nil},
		{"deep merge keeps siblings", `{"targeting": {"geo": ["DE"], "devices": null}}`,
			func(s campaign.Spec) string {
				return want(reflect.DeepEqual(s.Targeting.Geo, []string{"DE"}) &&
					s.Targeting.Devices == nil && len(s.Targeting.Audiences) == 1 &&
					len(s.Targeting.Dayparting) == 1, "geo replaced, devices gone, rest kept")
			}, nil},
		{"array replaced whole", `{"channels": ["video"]}`, func(s campaign.Spec) string {
			return want(reflect.DeepEqual(s.Channels, []campaign.Channel{campaign.Video}),
				"channels replaced")
		}, nil},
		{"server fields ignored", `{"id": "cmp_evil", "tenant_id": "t_b", "version": 1,
			"status": "archived"}`, func(s campaign.Spec) string {
			return want(reflect.DeepEqual(s, base), "nothing changed")
		}, nil},
		{"null on required field fails", `{"name": null, "budget": null}`, nil,
			[]string{"budget", "name"}},
		{"result validated", `{"budget": {"daily_cap_micros": 9000000000}, "x": 1}`, nil,
			[]string{"budget.daily_cap_micros", "x"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := campaign.Patch(base, []byte(tc.patch))
			if tc.fields != nil {
				if names := fieldNames(err); !reflect.DeepEqual(names, tc.fields) {
					t.Fatalf("got fields %q (%v), want %q", names, err, tc.fields)
				}
				return
			}
			if err != nil {
				t.Fatalf("patch: %v", err)
			}
			if msg := tc.check(got); msg != "" {
				t.Error(msg)
			}
		})
	}
	if _, err := campaign.Patch(base, []byte(`["not", "an", "object"]`)); !errors.Is(err,
		campaign.ErrBadJSON) {
		t.Errorf("array patch: got %v, want ErrBadJSON", err)
	}
}

func want(ok bool, what string) string {
	if ok {
		return ""
	}
	return "got a different result, want " + what
}

func TestTransitions(t *testing.T) {
	legal := map[[2]campaign.Status]bool{
		{campaign.Draft, campaign.Active}: true, {campaign.Draft, campaign.Archived}: true,
		{campaign.Active, campaign.Paused}: true, {campaign.Active, campaign.Completed}: true,
		{campaign.Active, campaign.Archived}: true, {campaign.Paused, campaign.Active}: true,
		{campaign.Paused, campaign.Completed}: true, {campaign.Paused, campaign.Archived}: true,
		{campaign.Completed, campaign.Archived}: true,
	}
	for _, from := range campaign.Statuses {
		for _, to := range campaign.Statuses {
			err := campaign.Transition(from, to)
			if got, want := err == nil, legal[[2]campaign.Status{from, to}]; got != want {
				t.Errorf("%s -> %s: got legal=%v, want %v", from, to, got, want)
				continue
			}
			var te *campaign.TransitionError
			if err != nil && (!errors.As(err, &te) ||
				!reflect.DeepEqual(te.Allowed, from.Moves())) {
				t.Errorf("%s -> %s: got %v, want allowed %v", from, to, err, from.Moves())
			}
		}
	}
	if got := campaign.Archived.Moves(); len(got) != 0 {
		t.Errorf("archived moves: got %v, want none", got)
	}
}

func TestDiff(t *testing.T) {
	a := mustSpec(t, validBody)
	b, err := campaign.Patch(a, []byte(`{"name": "B", "budget": {"daily_cap_micros": null},
		"targeting": {"geo": ["DE"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := campaign.Diff(a, b)
	if err != nil {
		t.Fatal(err)
	}
	wantChanges := []campaign.Change{
		{Field: "budget.daily_cap_micros", From: json.RawMessage(`250000000`)},
		{Field: "name", From: json.RawMessage(`"Spring sale"`), To: json.RawMessage(`"B"`)},
		{Field: "targeting.geo", From: json.RawMessage(`["FR","US-CA"]`),
			To: json.RawMessage(`["DE"]`)},
	}
	if !reflect.DeepEqual(got, wantChanges) {
		gj, _ := json.Marshal(got)
		t.Errorf("got %s", gj)
	}
}

func TestIfMatch(t *testing.T) {
	tag := campaign.ETag("cmp_1", 3)
	cases := []struct {
		header string
		want   bool
	}{
		{tag, true},
		{"*", true},
		{`"other", ` + tag, true},
		{campaign.ETag("cmp_1", 2), false},
		{campaign.ETag("cmp_2", 3), false},
		{"W/" + tag, false},
	}
	for _, tc := range cases {
		if got := campaign.IfMatch(tc.header, tag); got != tc.want {
			t.Errorf("IfMatch(%q): got %v, want %v", tc.header, got, tc.want)
		}
	}
}

func TestIfMatchAny(t *testing.T) {
	cases := []struct {
		header string
		want   bool
	}{
		{"*", true},
		{` "a" , * `, true},
		{campaign.ETag("cmp_1", 3), false},
		{"", false},
		{`"*"`, false},
	}
	for _, tc := range cases {
		if got := campaign.IfMatchAny(tc.header); got != tc.want {
			t.Errorf("IfMatchAny(%q): got %v, want %v", tc.header, got, tc.want)
		}
	}
}
