package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/currency"
)

// MaxBatchEvents is the largest number of events one batch request may carry.
const MaxBatchEvents = 500

// FieldError says which field of an event is wrong and why. Field is empty when the
// event as a whole is wrong (not a JSON object, too large).
type FieldError struct {
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

// Error returns "field: reason".
func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// wire is the JSON shape of an event as senders write it.
type wire struct {
	EventID     string            `json:"event_id"`
	Type        Type              `json:"type"`
	CampaignID  string            `json:"campaign_id"`
	AdID        string            `json:"ad_id,omitempty"`
	UserID      string            `json:"user_id,omitempty"`
	DeviceID    string            `json:"device_id,omitempty"`
	LoginID     string            `json:"login_id,omitempty"`
	HashedEmail string            `json:"hashed_email,omitempty"`
	OccurredAt  json.RawMessage   `json:"occurred_at"`
	CostMicros  int64             `json:"cost_micros,omitempty"`
	ValueMicros int64             `json:"value_micros,omitempty"`
	Currency    string            `json:"currency,omitempty"`
	Channel     Channel           `json:"channel,omitempty"`
	Attributes  map[string]string `json:"attributes,omitempty"`
}

// Decode parses and validates one event. now bounds how far in the future occurred_at
// may be. The error, when not nil, is a *FieldError.
func Decode(data []byte, now time.Time) (Event, error) {
	return decode(data, "", now)
}

// decode is Decode with src, "" or a string copy of data that the event's strings are cut
// from instead of being copied one by one.
func decode(data []byte, src string, now time.Time) (Event, error) {
	if len(data) > MaxEventBytes {
		return Event{}, fieldErr("", "event is %d bytes, more than the limit of %d",
			len(data), MaxEventBytes)
	}

	var w wire
	if ferr := parseWireIn(data, src, &w); ferr != nil {
		return Event{}, ferr
	}

	occurred, timeErr := parseTime(w.OccurredAt)
	e := Event{
		EventID: w.EventID, Type: w.Type, CampaignID: w.CampaignID, AdID: w.AdID,
		UserID: w.UserID, DeviceID: w.DeviceID, LoginID: w.LoginID, HashedEmail: w.HashedEmail,
		OccurredAt: occurred,
		CostMicros: w.CostMicros, ValueMicros: w.ValueMicros, Currency: w.Currency,
		Channel: w.Channel, Attributes: w.Attributes,
	}
	if timeErr != nil {
		// Report the fields before occurred_at first, in schema order.
		e.OccurredAt = now
		if err := e.validateIdentity(); err != nil {
			return Event{}, err
		}
		return Event{}, timeErr
	}
	if err := e.Validate(now); err != nil {
		return Event{}, err
	}
	return e, nil
}

// parseTime accepts RFC 3339 text or epoch milliseconds.
func parseTime(raw json.RawMessage) (time.Time, *FieldError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, fieldErr("occurred_at",
			"required (RFC 3339 text or epoch milliseconds)")
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, fieldErr("occurred_at", "malformed string")
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, fieldErr("occurred_at",
				"must be RFC 3339 like 2026-01-02T15:04:05Z or epoch milliseconds, got %q", s)
		}
		return t.UTC().Truncate(time.Millisecond), nil
	}
	ms, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return time.Time{}, fieldErr("occurred_at",
			"must be RFC 3339 text or integer epoch milliseconds, got %s", truncate(string(raw), 40))
	}
	return time.UnixMilli(ms).UTC(), nil
}

// Validate checks every rule of the schema and returns the first broken one as a
// *FieldError, fields in schema order.
func (e *Event) Validate(now time.Time) error {
	if err := e.validateIdentity(); err != nil {
		return err
	}
	if err := e.validateTime(now); err != nil {
		return err
	}
	if err := e.validateMoney(); err != nil {
		return err
	}
	if err := e.validateChannel(); err != nil {
		return err
	}
	if err := e.validateAttributes(); err != nil {
		return err
	}
	return nil
}

// validateIdentity checks the fields that come before occurred_at: id, type, campaign,
// ad and subject.
func (e *Event) validateIdentity() *FieldError {
	if err := validateEventID(e.EventID); err != nil {
		return err
	}
	if err := e.validateType(); err != nil {
		return err
	}
	if err := validateKeyID("campaign_id", e.CampaignID, true); err != nil {
		return err
	}
	if err := validateKeyID("ad_id", e.AdID, e.Type != Conversion); err != nil {
		return err
	}
	return e.validateSubject()
}

func validateEventID(id string) *FieldError {
	if id == "" {
		return fieldErr("event_id", "required")
	}
	return validateText("event_id", id, MaxEventIDLen)
}

func (e *Event) validateType() *FieldError {
	switch e.Type {
	case Impression, Click, Conversion:
		return nil
	case "":
		return fieldErr("type", "required: impression, click or conversion")
	}
	return fieldErr("type", "must be impression, click or conversion, got %q",
		truncate(string(e.Type), 40))
}

// validateKeyID checks identifiers that become part of storage keys: letters, digits
// and . _ : - only, so that no separator can be smuggled into a key.
func validateKeyID(field, id string, required bool) *FieldError {
	if id == "" {
		if required {
			return fieldErr(field, "required")
		}
		return nil
	}
	if len(id) > MaxIDLen {
		return fieldErr(field, "at most %d characters, got %d", MaxIDLen, len(id))
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '_' || c == ':' || c == '-'
		if !ok {
			r, _ := utf8.DecodeRuneInString(id[i:])
			return fieldErr(field, "may hold only letters, digits and . _ : - (found %q at %d)",
				r, i)
		}
	}
	return nil
}

// validateText checks free text: valid UTF-8, no control characters, at most max runes.
func validateText(field, s string, max int) *FieldError {
	ascii := true // printable ASCII: valid UTF-8, one rune a byte, no control characters
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			ascii = false
			break
		}
	}
	if ascii {
		if len(s) > max {
			return fieldErr(field, "at most %d characters, got %d", max, len(s))
		}
		return nil
	}
	if !utf8.ValidString(s) {
		return fieldErr(field, "must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return fieldErr(field, "at most %d characters, got %d", max, n)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return fieldErr(field, "must not contain control characters")
	}
	return nil
}

func (e *Event) validateSubject() *FieldError {
	if e.UserID == "" && e.DeviceID == "" {
		return fieldErr("user_id", "user_id or device_id is required")
	}
	if err := validateText("user_id", e.UserID, MaxSubjectLen); err != nil {
		return err
	}
	if err := validateText("device_id", e.DeviceID, MaxSubjectLen); err != nil {
		return err
	}
	if err := validateText("login_id", e.LoginID, MaxSubjectLen); err != nil {
		return err
	}
	if e.HashedEmail != "" && !isHexSHA256(e.HashedEmail) {
		return fieldErr("hashed_email", "must be the lower-case hex SHA-256 of the address "+
			"(64 characters)")
	}
	return nil
}

func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func (e *Event) validateTime(now time.Time) *FieldError {
	if e.OccurredAt.Before(MinOccurredAt) {
		hint := ""
		if ms := e.OccurredAt.UnixMilli(); ms > 1e9 && ms < 1e11 {
			hint = " (this looks like epoch seconds; send milliseconds)"
		}
		return fieldErr("occurred_at", "must not be before %s%s",
			MinOccurredAt.Format(time.RFC3339), hint)
	}
	if e.OccurredAt.After(now.Add(MaxFutureSkew)) {
		return fieldErr("occurred_at", "is more than %v in the future", MaxFutureSkew)
	}
	return nil
}

func (e *Event) validateMoney() *FieldError {
	if e.CostMicros < 0 || e.CostMicros > MaxAmountMicros {
		return fieldErr("cost_micros", "must be between 0 and %d", int64(MaxAmountMicros))
	}
	if e.ValueMicros < 0 || e.ValueMicros > MaxAmountMicros {
		return fieldErr("value_micros", "must be between 0 and %d", int64(MaxAmountMicros))
	}
	if e.CostMicros > 0 && e.Type == Conversion {
		return fieldErr("cost_micros", "not allowed on a conversion (use value_micros)")
	}
	if e.ValueMicros > 0 && e.Type != Conversion {
		return fieldErr("value_micros", "allowed only on a conversion")
	}
	if e.Currency == "" {
		if e.CostMicros > 0 || e.ValueMicros > 0 {
			return fieldErr("currency", "required with an amount (ISO 4217 code such as USD)")
		}
		return nil
	}
	if !isISO4217(e.Currency) {
		return fieldErr("currency", "must be an ISO 4217 code such as USD, got %q",
			truncate(e.Currency, 20))
	}
	return nil
}

func isISO4217(code string) bool {
	if len(code) != 3 || strings.ToUpper(code) != code {
		return false
	}
	unit, err := currency.ParseISO(code)
	return err == nil && unit.String() == code
}

func (e *Event) validateChannel() *FieldError {
	switch e.Channel {
	case "", Display, Social, Search, Video:
		return nil
	}
	return fieldErr("channel", "must be display, social, search or video, got %q",
		truncate(string(e.Channel), 40))
}

func (e *Event) validateAttributes() *FieldError {
	if len(e.Attributes) > MaxAttributes {
		return fieldErr("attributes", "at most %d entries, got %d", MaxAttributes, len(e.Attributes))
	}
	for k, v := range e.Attributes {
		if k == "" {
			return fieldErr("attributes", "keys must not be empty")
		}
		if err := validateText("attributes", k, MaxAttributeKeyLen); err != nil {
			return fieldErr("attributes", "key %q: %s", truncate(k, 40), err.Reason)
		}
		if err := validateText("attributes", v, MaxAttributeValLen); err != nil {
			return fieldErr("attributes."+truncate(k, 40), "%s", err.Reason)
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// MarshalJSON writes the event in its normal form, occurred_at as epoch milliseconds.
func (e Event) MarshalJSON() ([]byte, error) {
	return appendEvent(nil, &e), nil
}
