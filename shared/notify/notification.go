package notify

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Version is the schema version of Notification written by this code. Readers refuse
// messages of a version they do not know rather than guess at their fields.
const Version = 1

// Kind says whether a notification announces a firing or its resolution.
type Kind string

// The kinds of notification.
const (
	KindFire    Kind = "fire"
	KindResolve Kind = "resolve"
)

// ChannelType is the transport of one channel.
type ChannelType string

// The channel types.
const (
	ChannelEmail   ChannelType = "email"
	ChannelWebhook ChannelType = "webhook"
	ChannelSlack   ChannelType = "slack"
)

// Notification is the message on the notifications queue: one firing (or resolution) of
// one rule for one campaign, with everything needed to deliver it on each channel.
type Notification struct {
	// Version is the schema version (Version).
	Version int `json:"v"`
	// ID is stable for one episode of one rule on one campaign and one kind
	// (rules.NotificationID), so that every copy of the message, however it was
	// produced, names the same notification.
	ID   string `json:"id"`
	Kind Kind   `json:"kind"`
	// Episode numbers the rule's firings on the campaign (rules.State.Episode).
	Episode      int64  `json:"episode"`
	TenantID     string `json:"tenant_id"`
	RuleID       string `json:"rule_id"`
	RuleName     string `json:"rule_name"`
	CampaignID   string `json:"campaign_id"`
	CampaignName string `json:"campaign_name"`
	// Currency is the ISO 4217 code of the money metrics in Values.
	Currency string `json:"currency"`
	// Values holds the metric values the rule saw, by metric name (the names of
	// shared/rules). Money metrics (spend, value, cpm, cpc, cpa) are integer micros of
	// Currency; ratios (ctr, cvr, budget_used_pct) are fractions (0.0125 is 1.25%);
	// counts are plain numbers.
	Values map[string]float64 `json:"values"`
	// Conditions is the rule's conditions as text, e.g. "spend >= 5 CNY".
	Conditions string    `json:"conditions"`
	FiredAt    time.Time `json:"fired_at"`
	// Link points at the campaign or rule in the console.
	Link     string    `json:"link"`
	Channels []Channel `json:"channels,omitempty"`
	Template Template  `json:"template,omitzero"`
}

// Channel is one destination of a notification. Index is its position in the rule's
// channel list and, with the notification id, the key of its delivery state.
type Channel struct {
	Index int         `json:"index"`
	Type  ChannelType `json:"type"`
	// To lists the recipients of an email channel.
	To []string `json:"to,omitempty"`
	// URL is the endpoint of a webhook or Slack channel.
	URL string `json:"url,omitempty"`
	// SecretIDs name the webhook signing secrets (two during a rotation). The secrets
	// themselves never travel on the queue.
	SecretIDs []string `json:"secret_ids,omitempty"`
}

// Template is the tenant's message template. Empty parts fall back to DefaultTemplate.
type Template struct {
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html"`
}

// DeliveryID is the id of one channel's delivery of a notification: the webhook-id
// header a receiver de-duplicates on, the same on every retry.
func DeliveryID(notificationID string, channelIndex int) string {
	return fmt.Sprintf("%s_%d", notificationID, channelIndex)
}

// Decode parses a queue message body and checks the fields delivery depends on.
func Decode(body []byte) (*Notification, error) {
	var n Notification
	if err := json.Unmarshal(body, &n); err != nil {
		return nil, fmt.Errorf("decode notification: %w", err)
	}
	if err := n.Validate(); err != nil {
		return nil, err
	}
	return &n, nil
}

// Validate reports the first problem that makes the notification undeliverable.
func (n *Notification) Validate() error {
	var problems []string
	if n.Version != Version {
		problems = append(problems, fmt.Sprintf("version %d is not %d", n.Version, Version))
	}
	if n.ID == "" || n.TenantID == "" || n.RuleID == "" {
		problems = append(problems, "id, tenant_id and rule_id are required")
	}
	if n.Kind != KindFire && n.Kind != KindResolve {
		problems = append(problems, fmt.Sprintf("kind %q is not fire or resolve", n.Kind))
	}
	seen := map[int]bool{}
	for _, c := range n.Channels {
		if seen[c.Index] {
			problems = append(problems, fmt.Sprintf("channel index %d repeats", c.Index))
		}
		seen[c.Index] = true
		if err := c.validate(); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("invalid notification %q: %s", n.ID, strings.Join(problems, "; "))
	}
	return nil
}

func (c Channel) validate() error {
	switch c.Type {
	case ChannelEmail:
		if len(c.To) == 0 {
			return fmt.Errorf("channel %d: email without recipients", c.Index)
		}
	case ChannelWebhook:
		if c.URL == "" || len(c.SecretIDs) == 0 {
			return fmt.Errorf("channel %d: webhook needs a url and a secret id", c.Index)
		}
	case ChannelSlack:
		if c.URL == "" {
			return fmt.Errorf("channel %d: slack without url", c.Index)
		}
	default:
		return fmt.Errorf("channel %d: unknown type %q", c.Index, c.Type)
	}
	return nil
}

// Payload is the JSON body of a webhook delivery, in the Standard Webhooks shape: an
// event type, the time of the event and the notification without its channels and
// template (other destinations and secret ids are not the receiver's business).
type Payload struct {
	Type      string        `json:"type"`
	Timestamp time.Time     `json:"timestamp"`
	Data      *Notification `json:"data"`
}

// WebhookBody returns the webhook body of the notification. Its type is "rule.fired" or
// "rule.resolved".
func WebhookBody(n *Notification) ([]byte, error) {
	data := *n
	data.Channels, data.Template = nil, Template{}
	typ := "rule.fired"
	if n.Kind == KindResolve {
		typ = "rule.resolved"
	}
	b, err := json.Marshal(Payload{Type: typ, Timestamp: n.FiredAt, Data: &data})
	if err != nil {
		return nil, fmt.Errorf("encode webhook body of %s: %w", n.ID, err)
	}
	return b, nil
}
