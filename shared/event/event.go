package event

import "time"

// Type is the kind of an event.
type Type string

// The event types adpulse counts.
const (
	Impression Type = "impression"
	Click      Type = "click"
	Conversion Type = "conversion"
)

// Channel is where an ad ran.
type Channel string

// The channels an event may name.
const (
	Display Channel = "display"
	Social  Channel = "social"
	Search  Channel = "search"
	Video   Channel = "video"
)

// Limits on one event. A value beyond a limit is a validation error naming the field.
const (
	MaxEventIDLen      = 128     // characters
	MaxIDLen           = 128     // characters, for campaign_id and ad_id
	MaxSubjectLen      = 256     // characters, for user_id and device_id
	MaxAttributes      = 20      // entries in attributes
	MaxAttributeKeyLen = 64      // characters
	MaxAttributeValLen = 256     // characters
	MaxEventBytes      = 16384   // encoded size of one event
	MaxAmountMicros    = 1 << 50 // about 1.1e15 micros, a billion currency units
	MaxFutureSkew      = 15 * time.Minute
)

// MinOccurredAt is the earliest occurred_at accepted. Old events are accepted on purpose,
// so that historic logs can be replayed; they land in the buckets of when they happened.
var MinOccurredAt = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Event is one validated event in its normal form. Amounts are integer micros of the
// currency; OccurredAt is in UTC with millisecond precision.
type Event struct {
	EventID     string            `json:"event_id"`
	Type        Type              `json:"type"`
	CampaignID  string            `json:"campaign_id"`
	AdID        string            `json:"ad_id,omitempty"`
	UserID      string            `json:"user_id,omitempty"`
	DeviceID    string            `json:"device_id,omitempty"`
	LoginID     string            `json:"login_id,omitempty"`
	HashedEmail string            `json:"hashed_email,omitempty"`
	OccurredAt  time.Time         `json:"-"`
	CostMicros  int64             `json:"cost_micros,omitempty"`
	ValueMicros int64             `json:"value_micros,omitempty"`
	Currency    string            `json:"currency,omitempty"`
	Channel     Channel           `json:"channel,omitempty"`
	Attributes  map[string]string `json:"attributes,omitempty"`
}
