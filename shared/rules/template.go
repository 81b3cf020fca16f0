package rules

import (
	"regexp"
	"strings"
)

// Placeholders are the names a template may use as {{name}}. metric.<m> is a metric's
// value formatted for people (money as "12.50 EUR", fractions as "1.25%"); value.<m>
// is the raw value (micros, or the fraction 0.0125). A metric's value is taken over
// the scope of the rule's first condition on that metric, else over the lifetime. The
// notifier renders templates, HTML-escaping every value in template.html, and never
// executes anything in them.
var Placeholders = placeholders()

func placeholders() map[string]bool {
	m := map[string]bool{"campaign_name": true, "campaign_id": true, "rule_name": true,
		"rule_id": true, "state": true, "fired_at": true, "link": true,
		"notification_id": true, "conditions": true}
	for _, metric := range Metrics {
		m["metric."+string(metric)] = true
		m["value."+string(metric)] = true
	}
	return m
}

var placeholderRE = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)

// UnknownPlaceholders returns the {{...}} names in s that are not Placeholders, and a
// "{{" that does not close.
func UnknownPlaceholders(s string) []string {
	var bad []string
	for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
		if !Placeholders[m[1]] {
			bad = append(bad, "{{"+m[1]+"}}")
		}
	}
	if rest := placeholderRE.ReplaceAllString(s, ""); strings.Contains(rest, "{{") {
		bad = append(bad, "an unclosed {{")
	}
	return bad
}
