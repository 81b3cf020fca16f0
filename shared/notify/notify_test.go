package notify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/adpulse/adpulse/shared/notify"
)

func sample() *notify.Notification {
	return &notify.Notification{
		Version: notify.Version, ID: "ntf_1", Kind: notify.KindFire,
		TenantID: "t1", RuleID: "r1", RuleName: "Spend watch",
		CampaignID: "2821", CampaignName: "Spring <sale>", Currency: "CNY",
		Values:     map[string]float64{"spend": 8_734_000, "ctr": 0.0125, "clicks": 42},
		Conditions: "spend >= 5 CNY", FiredAt: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC),
		Link: "https://console.example/rules/r1?a=1&b=2",
	}
}

func TestFormatMetric(t *testing.T) {
	tests := []struct {
		name, metric, cur string
		value             float64
		want              string
	}{
		{"money rounds down", "spend", "CNY", 8_734_000, "8.73 CNY"},
		{"money rounds half up", "cpc", "USD", 1_005_000, "1.01 USD"},
		{"money under one unit", "cpm", "CNY", 50_000, "0.05 CNY"},
		{"money zero-decimal currency", "spend", "JPY", 1_500_600_000, "1501 JPY"},
		{"money three-decimal currency", "spend", "KWD", 1_234_567, "1.235 KWD"},
		{"money negative", "spend", "EUR", -2_500_000, "-2.50 EUR"},
		{"money unknown currency", "spend", "", 3_000_000, "3.00"},
		{"percent", "ctr", "CNY", 0.0125, "1.25%"},
		{"percent budget", "budget_used_pct", "CNY", 0.8, "80.00%"},
		{"count", "impressions", "CNY", 5000, "5000"},
		{"count fraction", "conversions", "CNY", 2.5, "2.5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := notify.FormatMetric(tc.metric, tc.value, tc.cur); got != tc.want {
				t.Errorf("FormatMetric(%s, %v, %s) = %q, want %q",
					tc.metric, tc.value, tc.cur, got, tc.want)
			}
		})
	}
}

func TestRender(t *testing.T) {
	tests := []struct {
		name                string
		tmpl                notify.Template
		mutate              func(*notify.Notification)
		subject, text, html string
	}{
		{
			name: "placeholders and formatting",
			tmpl: notify.Template{
				Subject: "{{rule_name}}: {{ campaign_name }}",
				Text:    "spend {{metric.spend}}, ctr {{metric.ctr}}, clicks {{metric.clicks}}",
				HTML:    "<b>{{metric.spend}}</b>",
			},
			subject: "Spend watch: Spring <sale>",
			text:    "spend 8.73 CNY, ctr 1.25%, clicks 42",
			html:    "<b>8.73 CNY</b>",
		},
		{
			name: "html escapes every value, text does not",
			tmpl: notify.Template{Subject: "s", Text: "{{campaign_name}}",
				HTML: "<p>{{campaign_name}}</p><a href=\"{{link}}\">x</a>"},
			mutate: func(n *notify.Notification) {
				n.CampaignName = `<script>alert("x")</script>`
			},
			subject: "s",
			text:    `<script>alert("x")</script>`,
			html: "<p>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</p>" +
				`<a href="https://console.example/rules/r1?a=1&amp;b=2">x</a>`,
		},
		{
			name: "go template syntax is not executed",
			tmpl: notify.Template{
				Subject: `{{ .CampaignName }}`,
				Text:    `{{printf "%s" .TenantID}} {{range .Values}}x{{end}}`,
				HTML:    `{{ .Something }}`,
			},
			subject: `{{ .CampaignName }}`,
			text:    `{{printf "%s" .TenantID}} {{range .Values}}x{{end}}`,
			html:    `{{ .Something }}`,
		},
		{
			name: "unknown placeholders and missing metrics stay visible",
			tmpl: notify.Template{Subject: "{{nope}}", Text: "{{metric.cpa}} {{ unclosed",
				HTML: "{{metric.cpa}}"},
			subject: "{{nope}}",
			text:    "{{metric.cpa}} {{ unclosed",
			html:    "{{metric.cpa}}",
		},
		{
			name: "values are not rescanned",
			tmpl: notify.Template{Subject: "{{campaign_name}}", Text: "{{campaign_name}}",
				HTML: "{{campaign_name}}"},
			mutate:  func(n *notify.Notification) { n.CampaignName = "{{link}}\nnext" },
			subject: "{{link}} next",
			text:    "{{link}}\nnext",
			html:    "{{link}}\nnext",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := sample()
			if tc.mutate != nil {
				tc.mutate(n)
			}
			got := notify.Render(tc.tmpl, n)
			if got.Subject != tc.subject {
				t.Errorf("subject = %q, want %q", got.Subject, tc.subject)
			}
			if got.Text != tc.text {
				t.Errorf("text = %q, want %q", got.Text, tc.text)
			}
			if got.HTML != tc.html {
				t.Errorf("html = %q, want %q", got.HTML, tc.html)
			}
		})
	}
}

func TestRenderSlackAndRawValues(t *testing.T) {
	n := sample()
	n.CampaignName = "<!channel> & co"
	tmpl := notify.Template{Text: "{{campaign_name}} {{value.spend}} {{value.ctr}}"}
	got := notify.Render(tmpl, n)
	if want := "&lt;!channel&gt; &amp; co 8734000 0.0125"; got.Slack != want {
		t.Errorf("slack = %q, want %q", got.Slack, want)
	}
	if want := "<!channel> & co 8734000 0.0125"; got.Text != want {
		t.Errorf("text = %q, want %q", got.Text, want)
	}
}

func TestRenderDefaultTemplate(t *testing.T) {
	n := sample()
	n.CampaignName = "<img src=x onerror=alert(1)>"
	got := notify.Render(notify.Template{}, n)
	if strings.Contains(got.HTML, "<img") {
		t.Errorf("html not escaped: %s", got.HTML)
	}
	for _, want := range []string{"clicks 42", "ctr 1.25%", "spend 8.73 CNY",
		"2026-12-03T10:00:00Z"} {
		if !strings.Contains(got.Text, want) {
			t.Errorf("text lacks %q: %s", want, got.Text)
		}
	}
	if got.Subject != "[adpulse] Alert: Spend watch on <img src=x onerror=alert(1)>" {
		t.Errorf("subject = %q", got.Subject)
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name, body, wantErr string
	}{
		{"valid", `{"v":1,"id":"n","kind":"fire","tenant_id":"t","rule_id":"r",
			"channels":[{"index":0,"type":"email","to":["a@b.c"]}]}`, ""},
		{"bad json", `{`, "decode notification"},
		{"unknown version", `{"v":2,"id":"n","kind":"fire","tenant_id":"t","rule_id":"r"}`,
			"version 2"},
		{"webhook without secret", `{"v":1,"id":"n","kind":"fire","tenant_id":"t","rule_id":"r",
			"channels":[{"index":0,"type":"webhook","url":"https://x"}]}`, "secret id"},
		{"repeated index", `{"v":1,"id":"n","kind":"fire","tenant_id":"t","rule_id":"r",
			"channels":[{"index":0,"type":"slack","url":"https://x"},
			{"index":0,"type":"slack","url":"https://y"}]}`, "repeats"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := notify.Decode([]byte(tc.body))
			if tc.wantErr == "" && err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Decode error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}
