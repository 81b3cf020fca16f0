package event

import (
	"sort"
	"strconv"
	"unicode/utf8"
)

// appendEvent writes the event's normal form as JSON, as MarshalJSON does, without
// reflection: packing runs once per accepted event.
func appendEvent(b []byte, e *Event) []byte {
	b = append(b, `{"event_id":`...)
	b = appendString(b, e.EventID)
	b = append(b, `,"type":`...)
	b = appendString(b, string(e.Type))
	b = append(b, `,"campaign_id":`...)
	b = appendString(b, e.CampaignID)
	b = appendOptional(b, `,"ad_id":`, e.AdID)
	b = appendOptional(b, `,"user_id":`, e.UserID)
	b = appendOptional(b, `,"device_id":`, e.DeviceID)
	b = appendOptional(b, `,"login_id":`, e.LoginID)
	b = appendOptional(b, `,"hashed_email":`, e.HashedEmail)
	b = append(b, `,"occurred_at":`...)
	b = strconv.AppendInt(b, e.OccurredAt.UnixMilli(), 10)
	if e.CostMicros != 0 {
		b = append(b, `,"cost_micros":`...)
		b = strconv.AppendInt(b, e.CostMicros, 10)
	}
	if e.ValueMicros != 0 {
		b = append(b, `,"value_micros":`...)
		b = strconv.AppendInt(b, e.ValueMicros, 10)
	}
	b = appendOptional(b, `,"currency":`, e.Currency)
	b = appendOptional(b, `,"channel":`, string(e.Channel))
	if len(e.Attributes) > 0 {
		keys := make([]string, 0, len(e.Attributes))
		for k := range e.Attributes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, `,"attributes":{`...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, e.Attributes[k])
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

func appendOptional(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	return appendString(append(b, key...), v)
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string. Invalid UTF-8 becomes U+FFFD, as with
// encoding/json; validated events never hold any.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, "\ufffd"...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
