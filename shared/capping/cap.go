package capping

import (
	"fmt"
	"time"

	"github.com/adpulse/adpulse/shared/httpapi"
)

// Window is the period a cap counts over.
type Window string

// The windows. Minute and hour are rolling; day, week (ISO, from Monday) and month are
// calendar periods in the campaign's time zone; lifetime never resets.
const (
	Minute   Window = "minute"
	Hour     Window = "hour"
	Day      Window = "day"
	Week     Window = "week"
	Month    Window = "month"
	Lifetime Window = "lifetime"
)

// windows lists the windows from shortest to longest.
var windows = []Window{Minute, Hour, Day, Week, Month, Lifetime}

// Valid reports whether w is one of the windows.
func (w Window) Valid() bool {
	for _, v := range windows {
		if v == w {
			return true
		}
	}
	return false
}

// Limits of the model.
const (
	MaxCaps  = 10    // caps per campaign, and per ad
	MaxCount = 10000 // impressions one cap may allow
)

// Cap allows at most Count impressions per Window.
type Cap struct {
	Count  int    `json:"count"`
	Window Window `json:"window"`
}

// Policy says what a request with no usable identifier may be served.
type Policy string

// The no-identifier policies.
const (
	// UncappedOnly (the default) serves such a request only ads that carry no cap.
	UncappedOnly Policy = "uncapped_only"
	// Allow serves capped ads too; nothing can be counted for an unknown person.
	Allow Policy = "allow"
)

// CampaignCaps is what the management API sets on a campaign: its caps and its
// no-identifier policy.
type CampaignCaps struct {
	Caps         []Cap  `json:"caps"`
	NoIdentifier Policy `json:"no_identifier,omitempty"`
}

// AdCaps is what the management API sets on one ad of a campaign.
type AdCaps struct {
	Caps []Cap `json:"caps"`
}

// Config is everything a decision or a count needs about one campaign: its time zone,
// its caps, its ads' caps and its policy.
type Config struct {
	Location     *time.Location
	Caps         []Cap
	AdCaps       map[string][]Cap
	NoIdentifier Policy
	// Longest is the longest window of any cap of the campaign or its ads; a counter
	// item lives that long after its last write.
	Longest Window
}

// Capped reports whether an impression of the ad is capped at all.
func (c *Config) Capped(ad string) bool {
	return len(c.Caps) > 0 || len(c.AdCaps[ad]) > 0
}

// policy returns the effective no-identifier policy.
func (c *Config) policy() Policy {
	if c.NoIdentifier == "" {
		return UncappedOnly
	}
	return c.NoIdentifier
}

// ValidateCaps checks a list of caps; field names start with prefix ("caps").
func ValidateCaps(prefix string, caps []Cap) []httpapi.FieldError {
	var out []httpapi.FieldError
	if caps == nil {
		return []httpapi.FieldError{{Field: prefix, Reason: "required (an empty list removes every cap)"}}
	}
	if len(caps) > MaxCaps {
		out = append(out, httpapi.FieldError{Field: prefix,
			Reason: fmt.Sprintf("at most %d caps, got %d", MaxCaps, len(caps))})
	}
	for i, c := range caps {
		f := fmt.Sprintf("%s[%d]", prefix, i)
		if c.Count < 1 || c.Count > MaxCount {
			out = append(out, httpapi.FieldError{Field: f + ".count",
				Reason: fmt.Sprintf("must be 1 to %d, got %d", MaxCount, c.Count)})
		}
		if !c.Window.Valid() {
			out = append(out, httpapi.FieldError{Field: f + ".window",
				Reason: "must be minute, hour, day, week, month or lifetime"})
		}
	}
	return out
}

// Validate checks a campaign's caps and policy.
func (c *CampaignCaps) Validate() []httpapi.FieldError {
	out := ValidateCaps("caps", c.Caps)
	switch c.NoIdentifier {
	case "", UncappedOnly, Allow:
	default:
		out = append(out, httpapi.FieldError{Field: "no_identifier",
			Reason: "must be uncapped_only or allow"})
	}
	return out
}

// Validate checks an ad's caps.
func (a *AdCaps) Validate() []httpapi.FieldError {
	return ValidateCaps("caps", a.Caps)
}
