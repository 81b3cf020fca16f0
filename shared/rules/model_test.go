package rules_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/adpulse/adpulse/shared/rules"
)

const minimal = `{"name": "CTR drop",
	"conditions": [{"metric": "ctr", "op": "<", "threshold": 0.01}],
	"channels": [{"type": "webhook", "url": "https://hooks.example.com/x"}]}`

func TestDecodeDefaults(t *testing.T) {
	s, err := rules.DecodeSpec([]byte(minimal))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	want := rules.DefaultSpec()
	want.Name = "CTR drop"
	want.Conditions = []rules.Condition{{Metric: rules.CTR, Op: rules.LT, Threshold: 0.01,
		Scope: rules.Lifetime}}
	want.Channels = []rules.Channel{{Type: rules.Webhook, URL: "https://hooks.example.com/x"}}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got %+v\nwant %+v", s, want)
	}
}

func TestDecodeRefusesSecretsAndServerFields(t *testing.T) {
	body := strings.Replace(minimal, `"url":`, `"secrets": [{"value": "whsec_x"}], "url":`, 1)
	body = strings.Replace(body, "{", `{"id": "rul_x", "version": 9, `, 1)
	_, err := rules.DecodeSpec([]byte(body))
	var ve *rules.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != "channels[0].secrets" {
		t.Errorf("got %v, want only channels[0].secrets refused", err)
	}
}

func TestPatch(t *testing.T) {
	cur, _ := rules.DecodeSpec([]byte(minimal))
	cur.Channels[0].SecretID = "sec_1"
	cur.Channels[0].Secrets = []rules.Secret{{Value: "whsec_x"}}
	cases := []struct {
		name  string
		patch string
		check func(rules.Spec) bool
	}{
		{"scalar", `{"name": "New"}`, func(s rules.Spec) bool { return s.Name == "New" }},
		{"null restores a default", `{"cooldown_seconds": null}`,
			func(s rules.Spec) bool { return s.CooldownSeconds == rules.DefaultCooldownSeconds }},
		{"template merges", `{"template": {"subject": "S"}}`, func(s rules.Spec) bool {
			return s.Template.Subject == "S" && s.Template.Text == rules.DefaultText
		}},
		{"channels keep secret_id, never the secret", `{"enabled": false}`,
			func(s rules.Spec) bool {
				return s.Channels[0].SecretID == "sec_1" && s.Channels[0].Secrets == nil
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := rules.Patch(cur, []byte(tc.patch))
			if err != nil || !tc.check(got) {
				t.Errorf("got %+v, %v", got, err)
			}
		})
	}
	if _, err := rules.Patch(cur, []byte(`{"conditions": null}`)); err == nil {
		t.Errorf("removing conditions: got no error, want a validation error")
	}
}

func TestPlaceholders(t *testing.T) {
	cases := []struct {
		text string
		want []string
	}{
		{"{{campaign_name}} {{ rule_name }} {{metric.spend}} {{value.ctr}} {{link}}", nil},
		{"{{metric.roas}} {{campaign.tenant}}", []string{"{{metric.roas}}",
			"{{campaign.tenant}}"}},
		{"{{link", []string{"an unclosed {{"}},
		{"no placeholders { } }}", nil},
	}
	for _, tc := range cases {
		if got := rules.UnknownPlaceholders(tc.text); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: got %q, want %q", tc.text, got, tc.want)
		}
	}
}
