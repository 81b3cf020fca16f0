package rules

import (
	"slices"
	"time"

	"github.com/oklog/ulid/v2"
)

// Metric is what a condition measures.
type Metric string

// The metrics. Counts are plain integers; money is integer micros of the campaign's
// currency (1 EUR = 1,000,000); CTR, CVR and budget used are fractions (0.01 = 1%).
const (
	Impressions   Metric = "impressions"     // count
	Clicks        Metric = "clicks"          // count
	Conversions   Metric = "conversions"     // count
	Spend         Metric = "spend"           // micros
	Value         Metric = "value"           // micros of conversion value
	CTR           Metric = "ctr"             // clicks / impressions, fraction
	CVR           Metric = "cvr"             // conversions / clicks, fraction
	CPM           Metric = "cpm"             // spend micros per 1,000 impressions
	CPC           Metric = "cpc"             // spend micros per click
	CPA           Metric = "cpa"             // spend micros per conversion
	BudgetUsedPct Metric = "budget_used_pct" // lifetime spend / budget.total_micros, fraction
)

// Metrics lists every metric in documentation order.
var Metrics = []Metric{Impressions, Clicks, Conversions, Spend, Value, CTR, CVR, CPM, CPC,
	CPA, BudgetUsedPct}

// Fraction reports whether the metric's threshold is a decimal fraction (0.01 = 1%).
func (m Metric) Fraction() bool {
	return m == CTR || m == CVR || m == BudgetUsedPct
}

// Money reports whether the metric is integer micros of the campaign's currency.
func (m Metric) Money() bool {
	return m == Spend || m == Value || m == CPM || m == CPC || m == CPA
}

// Volatile reports whether the metric is a ratio that is not judged below the rule's
// minimum volume of impressions.
func (m Metric) Volatile() bool {
	return m == CTR || m == CVR || m == CPM || m == CPC || m == CPA
}

// Op compares a metric with a threshold.
type Op string

// The operators.
const (
	GT Op = ">"
	GE Op = ">="
	LT Op = "<"
	LE Op = "<="
	EQ Op = "=="
)

// Scope is the period a condition's metric covers.
type Scope string

// The scopes.
const (
	Lifetime    Scope = "lifetime"     // since the campaign began
	Today       Scope = "today"        // since midnight in the campaign's time zone
	LastMinutes Scope = "last_minutes" // the current UTC minute and the minutes-1 before
)

// Condition is one test of a rule: metric op threshold, over a scope.
type Condition struct {
	Metric    Metric  `json:"metric"`
	Op        Op      `json:"op"`
	Threshold float64 `json:"threshold"`
	Scope     Scope   `json:"scope"`
	Minutes   int     `json:"minutes,omitempty"` // last_minutes only: 1 to 1440
}

// Join says how a rule's conditions combine.
type Join string

// The joins.
const (
	And Join = "and"
	Or  Join = "or"
)

// ChannelType is how a notification is delivered.
type ChannelType string

// The channel types.
const (
	Email   ChannelType = "email"
	Webhook ChannelType = "webhook"
	Slack   ChannelType = "slack"
)

// Channel is one destination of a rule's notifications.
type Channel struct {
	Type ChannelType `json:"type"`
	To   []string    `json:"to,omitempty"`  // email: 1 to 50 addresses
	URL  string      `json:"url,omitempty"` // webhook, slack
	// SecretID names a webhook channel's signing secrets (server-assigned). A PUT or
	// PATCH that keeps it keeps the secrets; a webhook channel without it gets new ones.
	SecretID string `json:"secret_id,omitempty"`
	// Secrets are the signing secrets, newest first. Stored in the rule item; never in
	// an API answer (Public strips them) and never read from a request.
	Secrets []Secret `json:"secrets,omitempty" api:"-"`
}

// Secret is one webhook signing secret: "whsec_" + base64 of 32 random bytes.
type Secret struct {
	Value     string    `json:"value"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at,omitzero"` // set on the previous secret by rotation
}

// Template is a notification's text with {{placeholders}} (see Placeholders).
type Template struct {
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html,omitempty"`
}

// Spec is the part of a rule that clients write.
type Spec struct {
	Name            string      `json:"name"`
	CampaignID      string      `json:"campaign_id,omitempty"` // empty: every campaign
	Conditions      []Condition `json:"conditions"`
	Join            Join        `json:"join"`
	MinVolume       int64       `json:"min_volume"`
	ForSeconds      int64       `json:"for_seconds"`
	CooldownSeconds int64       `json:"cooldown_seconds"`
	NotifyResolved  bool        `json:"notify_resolved"`
	Channels        []Channel   `json:"channels"`
	Template        Template    `json:"template"`
	Enabled         bool        `json:"enabled"`
}

// Rule is a stored rule: the client's Spec plus the fields the server sets.
type Rule struct {
	ID       string `json:"id"`
	TenantID string `json:"-"`
	Spec
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by"`
}

// Defaults of the optional fields.
const (
	DefaultMinVolume       = 1000
	DefaultCooldownSeconds = 3600
	DefaultSubject         = "[adpulse] {{rule_name}}: {{campaign_name}}"
	DefaultText            = "Rule {{rule_name}} is {{state}} for campaign " +
		"{{campaign_name}} ({{campaign_id}}). Spend {{metric.spend}}, CTR {{metric.ctr}}. " +
		"{{link}}"
)

// DefaultSpec is what a body starts from: every optional field at its default.
func DefaultSpec() Spec {
	return Spec{Join: And, MinVolume: DefaultMinVolume, CooldownSeconds: DefaultCooldownSeconds,
		Enabled: true, Template: Template{Subject: DefaultSubject, Text: DefaultText}}
}

// New makes a rule of the tenant from a validated spec.
func New(tenant, actor string, spec Spec, now time.Time) Rule {
	now = now.UTC().Truncate(time.Millisecond)
	return Rule{ID: "rul_" + ulid.Make().String(), TenantID: tenant, Spec: spec, Version: 1,
		CreatedAt: now, CreatedBy: actor, UpdatedAt: now, UpdatedBy: actor}
}

// For is how long the conditions must hold before the rule fires.
func (r *Rule) For() time.Duration { return time.Duration(r.ForSeconds) * time.Second }

// Cooldown is the least time between two firings.
func (r *Rule) Cooldown() time.Duration {
	return time.Duration(r.CooldownSeconds) * time.Second
}

// Watches reports whether the rule applies to the campaign.
func (r *Rule) Watches(campaignID string) bool {
	return r.CampaignID == "" || r.CampaignID == campaignID
}

// Public returns the rule as API answers show it: without signing secrets.
func (r Rule) Public() Rule {
	chans := make([]Channel, len(r.Channels))
	for i, ch := range r.Channels {
		ch.Secrets = nil
		chans[i] = ch
	}
	r.Channels = chans
	return r
}

// Windows lists the distinct last_minutes windows the rules need, ascending, so the
// snapshot builder computes only those.
func Windows(rules []Rule) []int {
	seen := map[int]bool{}
	var out []int
	for i := range rules {
		for _, c := range rules[i].Conditions {
			if c.Scope == LastMinutes && !seen[c.Minutes] {
				seen[c.Minutes] = true
				out = append(out, c.Minutes)
			}
		}
	}
	slices.Sort(out)
	return out
}
