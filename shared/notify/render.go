package notify

import (
	"html"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultTemplate is used for each part the rule's template leaves empty.
var DefaultTemplate = Template{
	Subject: "[adpulse] {{kind_title}}: {{rule_name}} on {{campaign_name}}",
	Text: "{{kind_title}}: {{rule_name}}\n" +
		"Campaign: {{campaign_name}}\n" +
		"Conditions: {{conditions}}\n" +
		"Values: {{values}}\n" +
		"At: {{fired_at}}\n" +
		"{{link}}\n",
	HTML: "<p><strong>{{kind_title}}: {{rule_name}}</strong></p>" +
		"<p>Campaign: {{campaign_name}}<br>Conditions: {{conditions}}<br>" +
		"Values: {{values}}<br>At: {{fired_at}}</p>" +
		`<p><a href="{{link}}">Open in adpulse</a></p>`,
}

// Message is a rendered template.
type Message struct {
	Subject string
	Text    string
	HTML    string
	// Slack is the text part with every substituted value escaped for Slack's mrkdwn
	// (&, < and >), so a campaign named "<!channel>" cannot ping a channel.
	Slack string
}

// slackEscaper escapes the three characters Slack gives a meaning in message text.
var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Render fills the notification's template (or DefaultTemplate for its empty parts).
//
// Placeholders are {{name}} with optional spaces inside the braces:
//
//	campaign_name, campaign_id, rule_name, rule_id, tenant_id, link, conditions,
//	currency, kind ("fire" or "resolve"), state ("firing" or "resolved"),
//	kind_title ("Alert" or "Resolved"),
//	fired_at (RFC 3339, UTC), values (every metric, "name value" joined by ", "),
//	notification_id, metric.<name> (one metric, formatted by FormatMetric),
//	value.<name> (one metric's raw value: micros, or the fraction 0.0125).
//
// Anything else between {{ and }}, including a metric the notification has no value
// for and Go template syntax such as {{ .Something }}, is left in the output exactly as
// written, so a mistake in a template is visible in the message instead of silently
// blank. Nothing is ever executed. In the HTML part every substituted value is escaped
// with html.EscapeString; the template's own markup is the tenant's and is kept.
// Subject and text are plain text and are not escaped; a subject loses line breaks.
func Render(t Template, n *Notification) Message {
	if t.Subject == "" {
		t.Subject = DefaultTemplate.Subject
	}
	if t.Text == "" {
		t.Text = DefaultTemplate.Text
	}
	if t.HTML == "" {
		t.HTML = DefaultTemplate.HTML
	}
	plain := func(s string) string { return s }
	subject := substitute(t.Subject, n, plain)
	return Message{
		Subject: strings.Join(strings.Fields(subject), " "),
		Text:    substitute(t.Text, n, plain),
		HTML:    substitute(t.HTML, n, html.EscapeString),
		Slack:   substitute(t.Text, n, slackEscaper.Replace),
	}
}

// substitute replaces each known {{placeholder}} in s with its value passed through
// escape. It scans once, left to right; substituted values are never scanned again, so
// a campaign named "{{link}}" prints as such.
func substitute(s string, n *Notification, escape func(string) string) string {
	var b strings.Builder
	for {
		start := strings.Index(s, "{{")
		if start < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := strings.Index(s[start+2:], "}}")
		if end < 0 {
			b.WriteString(s)
			return b.String()
		}
		end += start + 2
		b.WriteString(s[:start])
		if v, ok := lookup(strings.TrimSpace(s[start+2:end]), n); ok {
			b.WriteString(escape(v))
		} else {
			b.WriteString(s[start : end+2])
		}
		s = s[end+2:]
	}
}

// lookup returns the value of one placeholder, or false when it is not known.
func lookup(name string, n *Notification) (string, bool) {
	if m, ok := strings.CutPrefix(name, "metric."); ok {
		v, found := n.Values[m]
		if !found {
			return "", false
		}
		return FormatMetric(m, v, n.Currency), true
	}
	if m, ok := strings.CutPrefix(name, "value."); ok {
		v, found := n.Values[m]
		if !found {
			return "", false
		}
		return strconv.FormatFloat(v, 'f', -1, 64), true
	}
	switch name {
	case "campaign_name":
		return n.CampaignName, true
	case "campaign_id":
		return n.CampaignID, true
	case "rule_name":
		return n.RuleName, true
	case "rule_id":
		return n.RuleID, true
	case "tenant_id":
		return n.TenantID, true
	case "notification_id":
		return n.ID, true
	case "link":
		return n.Link, true
	case "conditions":
		return n.Conditions, true
	case "currency":
		return n.Currency, true
	case "kind":
		return string(n.Kind), true
	case "state":
		if n.Kind == KindResolve {
			return "resolved", true
		}
		return "firing", true
	case "kind_title":
		if n.Kind == KindResolve {
			return "Resolved", true
		}
		return "Alert", true
	case "fired_at":
		return n.FiredAt.UTC().Format(time.RFC3339), true
	case "values":
		return formatValues(n), true
	}
	return "", false
}

// formatValues writes every metric as "name value", sorted by name.
func formatValues(n *Notification) string {
	names := make([]string, 0, len(n.Values))
	for k := range n.Values {
		names = append(names, k)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = k + " " + FormatMetric(k, n.Values[k], n.Currency)
	}
	return strings.Join(parts, ", ")
}
