package event

import (
	"encoding/json"
	"errors"
	"strconv"
)

// parseWireIn reads one event object into w without reflection. Unknown fields are skipped;
// a field holding the wrong JSON type is a *FieldError naming it. src is "" or a string copy
// of data that the parsed strings are cut from, so they share one allocation.
func parseWireIn(data []byte, src string, w *wire) *FieldError {
	s := scanner{data: data, src: src}
	if c := s.peek(); c != '{' {
		if c == 0 {
			return fieldErr("", "event is empty")
		}
		if _, err := s.skip(); err != nil || !s.atEnd() {
			return fieldErr("", "%v", errOr(err, s.fail("expected the end")))
		}
		return fieldErr("", "event must be a JSON object, got %s", (&scanner{data: data}).kind())
	}
	s.i++

	if s.peek() == '}' {
		s.i++
		return s.end()
	}
	for {
		key, err := s.str()
		if err != nil {
			return fieldErr("", "%v", err)
		}
		if err := s.expect(':'); err != nil {
			return fieldErr("", "%v", err)
		}
		if ferr := s.field(key, w); ferr != nil {
			return ferr
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return s.end()
		default:
			return fieldErr("", "%v", s.fail("expected ',' or '}'"))
		}
	}
}

func (s *scanner) end() *FieldError {
	if !s.atEnd() {
		return fieldErr("", "%v", s.fail("unexpected data after the event"))
	}
	return nil
}

func errOr(err, other error) error {
	if err != nil {
		return err
	}
	return other
}

// field reads the value of one key into w. The key is matched without copying it: the
// names handed on are the constants, so no key string is allocated per field.
func (s *scanner) field(key []byte, w *wire) *FieldError {
	switch string(key) {
	case "event_id":
		return s.stringField("event_id", &w.EventID)
	case "type":
		return s.stringField("type", (*string)(&w.Type))
	case "campaign_id":
		return s.stringField("campaign_id", &w.CampaignID)
	case "ad_id":
		return s.stringField("ad_id", &w.AdID)
	case "user_id":
		return s.stringField("user_id", &w.UserID)
	case "device_id":
		return s.stringField("device_id", &w.DeviceID)
	case "login_id":
		return s.stringField("login_id", &w.LoginID)
	case "hashed_email":
		return s.stringField("hashed_email", &w.HashedEmail)
	case "currency":
		return s.stringField("currency", &w.Currency)
	case "channel":
		return s.stringField("channel", (*string)(&w.Channel))
	case "cost_micros":
		return s.intField("cost_micros", &w.CostMicros)
	case "value_micros":
		return s.intField("value_micros", &w.ValueMicros)
	case "occurred_at":
		s.lone = false
		raw, err := s.skip()
		if err != nil {
			return fieldErr("", "%v", err)
		}
		if s.lone {
			return fieldErr("occurred_at", "%s", reasonLoneSurrogate)
		}
		w.OccurredAt = json.RawMessage(raw)
		return nil
	case "attributes":
		return s.attributes(&w.Attributes)
	}
	if _, err := s.skip(); err != nil {
		return fieldErr("", "%v", err)
	}
	return nil
}

// reasonLoneSurrogate refuses a string with a \u escape of a lone UTF-16 surrogate: it
// decodes to U+FFFD, so "a\ud800" and "a\udc00" would be one event id. Raw bytes that
// are not UTF-8 get "must be valid UTF-8" from validateText.
const reasonLoneSurrogate = "must be valid UTF-8 (a \\u escape holds a lone UTF-16 " +
	"surrogate such as \\ud800)"

func (s *scanner) stringField(key string, dst *string) *FieldError {
	if s.isNull() {
		return nil
	}
	if s.peek() != '"' {
		return s.typeErr(key, "a string")
	}
	start := s.i + 1
	s.lone = false
	b, err := s.str()
	if err != nil {
		return fieldErr("", "%v", err)
	}
	if s.lone {
		return fieldErr(key, "%s", reasonLoneSurrogate)
	}
	*dst = s.keep(b, start)
	return nil
}

func (s *scanner) intField(key string, dst *int64) *FieldError {
	if s.isNull() {
		return nil
	}
	if c := s.peek(); c != '-' && (c < '0' || c > '9') {
		return s.typeErr(key, "an integer")
	}
	num, err := s.number()
	if err != nil {
		return fieldErr("", "%v", err)
	}
	v, perr := strconv.ParseInt(string(num), 10, 64)
	if errors.Is(perr, strconv.ErrRange) {
		return fieldErr(key, "must be between 0 and %d, got %s", int64(MaxAmountMicros),
			truncate(string(num), 40))
	}
	if perr != nil {
		return fieldErr(key, "must be an integer, got number %s", truncate(string(num), 40))
	}
	*dst = v
	return nil
}

// typeErr reports a value of the wrong type, after stepping over it so that the error
// describes it rather than the syntax after it.
func (s *scanner) typeErr(key, want string) *FieldError {
	kind := s.kind()
	if _, err := s.skip(); err != nil {
		return fieldErr("", "%v", err)
	}
	return fieldErr(key, "must be %s, got %s", want, kind)
}

func (s *scanner) attributes(dst *map[string]string) *FieldError {
	if s.isNull() {
		return nil
	}
	if s.peek() != '{' {
		return s.typeErr("attributes", "an object of string values")
	}
	s.i++
	if *dst == nil { // a repeated attributes key adds to the first, as encoding/json does
		*dst = map[string]string{}
	}
	m := *dst
	if s.peek() == '}' {
		s.i++
		return nil
	}
	for n := 0; ; n++ {
		s.skipSpace()
		kStart := s.i + 1 // just after the key's quote; keep checks it
		s.lone = false
		k, err := s.str()
		if err == nil {
			err = s.expect(':')
		}
		if err != nil {
			return fieldErr("", "%v", err)
		}
		if s.lone {
			return fieldErr("attributes", "key %q: %s", truncate(string(k), 40),
				reasonLoneSurrogate)
		}
		if s.peek() != '"' {
			return s.typeErr("attributes."+truncate(string(k), 40), "a string")
		}
		vStart := s.i + 1 // s.peek() above left the cursor on the quote
		v, err := s.str()
		if err != nil {
			return fieldErr("", "%v", err)
		}
		if s.lone {
			return fieldErr("attributes."+truncate(string(k), 40), "%s", reasonLoneSurrogate)
		}
		if n < 4*MaxAttributes { // past this the count check fails anyway
			m[s.keep(k, kStart)] = s.keep(v, vStart)
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return fieldErr("", "%v", s.fail("expected ',' or '}'"))
		}
	}
}

// splitArray splits a JSON array into its elements' spans, checking their syntax.
func splitArray(data []byte) ([]json.RawMessage, error) {
	s := scanner{data: data}
	if s.peek() != '[' {
		return nil, s.fail("expected '['")
	}
	out, err := s.arraySpans()
	if err != nil {
		return nil, err
	}
	return out, s.trailing()
}

func (s *scanner) trailing() error {
	if !s.atEnd() {
		return s.fail("unexpected data after the array")
	}
	return nil
}
