package rules

import (
	"context"
	"fmt"
	"math"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/adpulse/adpulse/shared/httpapi"
	"github.com/adpulse/adpulse/shared/netguard"
)

// Limits of a rule.
const (
	MaxConditions      = 10
	MaxChannels        = 10
	MaxRecipients      = 50
	MaxNameLen         = 200
	MaxSubjectLen      = 200
	MaxTextLen         = 10_000
	MaxHTMLLen         = 50_000
	MaxMinutes         = 1440
	MaxForSeconds      = 86_400
	MaxCooldownSeconds = 7 * 86_400
	MaxMinVolume       = 1_000_000_000_000
	MaxAmount          = 1_000_000_000_000_000 // counts and micros; under 2^53
)

var campaignIDRE = regexp.MustCompile(`^cmp_[0-9A-HJKMNP-TV-Z]{26}$`)

// fieldErrs collects failing fields.
type fieldErrs []httpapi.FieldError

func (f *fieldErrs) add(field, format string, args ...any) {
	*f = append(*f, httpapi.FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// Validate checks a spec's values and returns every failing field, by JSON path
// (conditions[0].threshold). It needs no network: CheckDestinations resolves URLs.
func Validate(s *Spec) []httpapi.FieldError {
	var f fieldErrs
	checkText(&f, "name", s.Name, MaxNameLen, true)
	if s.CampaignID != "" && !campaignIDRE.MatchString(s.CampaignID) {
		f.add("campaign_id", "must be a campaign id (cmp_...) or absent for every campaign")
	}
	switch n := len(s.Conditions); {
	case n == 0:
		f.add("conditions", "must have at least 1 condition")
	case n > MaxConditions:
		f.add("conditions", "must have at most %d conditions", MaxConditions)
	}
	for i := range s.Conditions {
		checkCondition(&f, fmt.Sprintf("conditions[%d]", i), &s.Conditions[i])
	}
	if s.Join != And && s.Join != Or {
		f.add("join", "must be one of: and, or")
	}
	checkRange(&f, "min_volume", s.MinVolume, 0, MaxMinVolume)
	checkRange(&f, "for_seconds", s.ForSeconds, 0, MaxForSeconds)
	checkRange(&f, "cooldown_seconds", s.CooldownSeconds, 0, MaxCooldownSeconds)
	switch n := len(s.Channels); {
	case n == 0:
		f.add("channels", "must have at least 1 channel")
	case n > MaxChannels:
		f.add("channels", "must have at most %d channels", MaxChannels)
	}
	for i := range s.Channels {
		checkChannel(&f, fmt.Sprintf("channels[%d]", i), &s.Channels[i])
	}
	checkTemplate(&f, &s.Template)
	return f
}

func checkRange(f *fieldErrs, field string, v, lo, hi int64) {
	if v < lo || v > hi {
		f.add(field, "must be an integer from %d to %d", lo, hi)
	}
}

// checkText checks a one-line text: length in characters, not blank, no control
// characters (which also keeps CR and LF out of mail headers).
func checkText(f *fieldErrs, field, s string, max int, required bool) {
	switch {
	case s == "" && required:
		f.add(field, "is required")
	case s != "" && strings.TrimSpace(s) == "":
		f.add(field, "must not be blank")
	case utf8.RuneCountInString(s) > max:
		f.add(field, "must have at most %d characters", max)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		f.add(field, "must not contain control characters")
	}
}

func checkCondition(f *fieldErrs, path string, c *Condition) {
	if !slices.Contains(Metrics, c.Metric) {
		f.add(path+".metric", "must be one of: %s", metricNames())
	}
	switch c.Op {
	case GT, GE, LT, LE, EQ:
	default:
		f.add(path+".op", "must be one of: >, >=, <, <=, ==")
	}
	checkThreshold(f, path+".threshold", c)

	switch c.Scope {
	case Lifetime, Today:
		if c.Minutes != 0 {
			f.add(path+".minutes", "is only allowed with scope last_minutes")
		}
	case LastMinutes:
		if c.Minutes < 1 || c.Minutes > MaxMinutes {
			f.add(path+".minutes", "must be an integer from 1 to %d", MaxMinutes)
		}
	default:
		f.add(path+".scope", "must be one of: lifetime, today, last_minutes")
	}
	if c.Metric == BudgetUsedPct && c.Scope != Lifetime && c.Scope != "" {
		f.add(path+".scope", "must be lifetime for budget_used_pct")
	}
}

// checkThreshold: fractions are decimals (0.01 = 1%), counts and money are integers
// (money in micros).
func checkThreshold(f *fieldErrs, field string, c *Condition) {
	t := c.Threshold
	switch {
	case math.IsNaN(t) || math.IsInf(t, 0) || t < 0:
		f.add(field, "must be a number >= 0")
	case c.Metric == CTR || c.Metric == CVR:
		if t > 1 {
			f.add(field, "must be a fraction from 0 to 1 (0.01 means 1%%)")
		}
	case c.Metric == BudgetUsedPct:
		if t > 10 {
			f.add(field, "must be a fraction from 0 to 10 (0.8 means 80%% of the budget)")
		}
	case c.Metric.Money():
		if t != math.Trunc(t) || t > MaxAmount {
			f.add(field, "must be an integer amount of micros from 0 to %d "+
				"(1,000,000 micros = 1 unit of the campaign currency)", int64(MaxAmount))
		}
	default:
		if t != math.Trunc(t) || t > MaxAmount {
			f.add(field, "must be an integer from 0 to %d", int64(MaxAmount))
		}
	}
}

func metricNames() string {
	names := make([]string, len(Metrics))
	for i, m := range Metrics {
		names[i] = string(m)
	}
	return strings.Join(names, ", ")
}

func checkChannel(f *fieldErrs, path string, ch *Channel) {
	switch ch.Type {
	case Email:
		checkRecipients(f, path+".to", ch.To)
		if ch.URL != "" {
			f.add(path+".url", "is not allowed for email channels")
		}
	case Webhook, Slack:
		if ch.URL == "" {
			f.add(path+".url", "is required")
		}
		if len(ch.To) > 0 {
			f.add(path+".to", "is only allowed for email channels")
		}
	default:
		f.add(path+".type", "must be one of: email, webhook, slack")
	}
	if ch.SecretID != "" && ch.Type != Webhook {
		f.add(path+".secret_id", "is only allowed for webhook channels")
	}
}

func checkRecipients(f *fieldErrs, field string, to []string) {
	if len(to) == 0 || len(to) > MaxRecipients {
		f.add(field, "must have 1 to %d addresses", MaxRecipients)
		return
	}
	seen := map[string]bool{}
	for i, addr := range to {
		a, err := mail.ParseAddress(addr)
		if err != nil || a.Address != addr || a.Name != "" || len(addr) > 254 {
			f.add(fmt.Sprintf("%s[%d]", field, i), "must be a plain e-mail address")
			continue
		}
		if seen[strings.ToLower(addr)] {
			f.add(fmt.Sprintf("%s[%d]", field, i), "is listed twice")
		}
		seen[strings.ToLower(addr)] = true
	}
}

func checkTemplate(f *fieldErrs, t *Template) {
	checkText(f, "template.subject", t.Subject, MaxSubjectLen, true)
	switch {
	case t.Text == "" || strings.TrimSpace(t.Text) == "":
		f.add("template.text", "is required")
	case utf8.RuneCountInString(t.Text) > MaxTextLen:
		f.add("template.text", "must have at most %d characters", MaxTextLen)
	}
	if utf8.RuneCountInString(t.HTML) > MaxHTMLLen {
		f.add("template.html", "must have at most %d characters", MaxHTMLLen)
	}
	for field, s := range map[string]string{"template.subject": t.Subject,
		"template.text": t.Text, "template.html": t.HTML} {
		if bad := UnknownPlaceholders(s); len(bad) > 0 {
			f.add(field, "has unknown placeholders: %s", strings.Join(bad, ", "))
		}
	}
}

// CheckDestinations checks every webhook and Slack URL of a spec against the
// destination policy (netguard.CheckURL, resolving the host with r) and returns the
// failing ones as field errors (channels[1].url).
func CheckDestinations(ctx context.Context, s *Spec, r netguard.Resolver) []httpapi.FieldError {
	var f fieldErrs
	for i, ch := range s.Channels {
		if ch.URL == "" || (ch.Type != Webhook && ch.Type != Slack) {
			continue
		}
		if _, err := netguard.CheckURL(ctx, ch.URL, r); err != nil {
			f.add(fmt.Sprintf("channels[%d].url", i), "%s", err.Error())
		}
	}
	return f
}
