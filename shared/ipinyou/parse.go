package ipinyou

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/adpulse/adpulse/shared/event"
)

// Columns is the number of tab-separated columns of every log line.
const Columns = 24

// Column positions, counted from zero (the README counts from one).
const (
	colBidID      = 0
	colTimestamp  = 1
	colLogType    = 2
	colUserID     = 3
	colUserAgent  = 4
	colIP         = 5
	colRegion     = 6
	colCity       = 7
	colExchange   = 8
	colDomain     = 9
	colSlotWidth  = 13
	colSlotHeight = 14
	colCreative   = 18
	colPaying     = 20
	colAdvertiser = 22
)

// Currency is the currency of iPinYou prices.
const Currency = "CNY"

// CST is China Standard Time, the zone of the log timestamps. It is a fixed offset:
// China has no daylight saving time.
var CST = time.FixedZone("CST", 8*60*60)

// timestampLayout is yyyyMMddHHmmss; the three digits of milliseconds that follow are
// parsed separately because Go layouts need a dot before fractional seconds.
const timestampLayout = "20060102150405"

// null is how the logs write a missing value.
const null = "null"

// logTypes maps the log type column to the event type and the suffix of its event id.
var logTypes = map[string]struct {
	typ    event.Type
	suffix string
}{
	"1": {event.Impression, "imp"},
	"2": {event.Click, "clk"},
	"3": {event.Conversion, "conv"},
}

// ParseLine maps one log line (without its line break) to an event. The error names the
// column at fault; Scan adds the file and line number.
func ParseLine(line string) (event.Event, error) {
	cols := strings.Split(line, "\t")
	if len(cols) != Columns {
		return event.Event{}, fmt.Errorf("%d tab-separated columns, want %d", len(cols), Columns)
	}

	bidID := cols[colBidID]
	if bidID == "" || bidID == null {
		return event.Event{}, errors.New("column 1 (bid id) is empty")
	}
	lt, ok := logTypes[cols[colLogType]]
	if !ok {
		return event.Event{}, fmt.Errorf("column 3 (log type) is %q, want 1, 2 or 3",
			cols[colLogType])
	}
	occurred, err := ParseTimestamp(cols[colTimestamp])
	if err != nil {
		return event.Event{}, fmt.Errorf("column 2 (timestamp): %w", err)
	}

	e := event.Event{
		EventID:    bidID + "-" + lt.suffix,
		Type:       lt.typ,
		CampaignID: cols[colAdvertiser],
		AdID:       orEmpty(cols[colCreative]),
		UserID:     orEmpty(cols[colUserID]),
		OccurredAt: occurred,
		Channel:    event.Display,
		Attributes: attributes(cols),
	}
	if e.UserID == "" {
		e.DeviceID = DeviceID(cols[colIP], cols[colUserAgent])
	}
	if lt.typ == event.Impression {
		cost, err := costMicros(cols[colPaying])
		if err != nil {
			return event.Event{}, fmt.Errorf("column 21 (paying price): %w", err)
		}
		e.CostMicros = cost
		e.Currency = Currency
	}

	if err := e.Validate(time.Now()); err != nil {
		return event.Event{}, fmt.Errorf("mapped event is invalid: %w", err)
	}
	return e, nil
}

// ParseTimestamp parses a log timestamp, yyyyMMddHHmmssSSS in China Standard Time, and
// returns it in UTC.
func ParseTimestamp(s string) (time.Time, error) {
	if len(s) != len(timestampLayout)+3 {
		return time.Time{}, fmt.Errorf("%q is not yyyyMMddHHmmssSSS", s)
	}
	t, err := time.ParseInLocation(timestampLayout, s[:len(timestampLayout)], CST)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not yyyyMMddHHmmssSSS: %w", s, err)
	}
	ms, err := strconv.Atoi(s[len(timestampLayout):])
	if err != nil || ms < 0 {
		return time.Time{}, fmt.Errorf("%q has no valid milliseconds", s)
	}
	return t.Add(time.Duration(ms) * time.Millisecond).UTC(), nil
}

// costMicros turns a paying price in CNY fen per thousand impressions into the micro-CNY
// cost of one impression: fen / 1000 * 10,000 micros = price x 10.
func costMicros(price string) (int64, error) {
	p, err := strconv.ParseInt(price, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", price)
	}
	if p < 0 {
		return 0, fmt.Errorf("%d is negative", p)
	}
	return p * 10, nil
}

// DeviceID stands in for a device id when the log has no user id: "ipua:" and the hex of
// a hash of the masked IP and the user agent. It is an approximation: people behind one
// network address with the same browser share it, and one browser that changes network
// gets several.
func DeviceID(maskedIP, userAgent string) string {
	sum := sha256.Sum256([]byte(maskedIP + "\t" + userAgent))
	return "ipua:" + hex.EncodeToString(sum[:16])
}

// attributes keeps a few bounded dimensions of the auction; all are short ids or sizes.
func attributes(cols []string) map[string]string {
	attrs := make(map[string]string, 5)
	put := func(key, value string) {
		if value != "" && value != null {
			attrs[key] = value
		}
	}
	put("exchange", cols[colExchange])
	put("region", cols[colRegion])
	put("city", cols[colCity])
	put("domain", cols[colDomain])
	if w, h := orEmpty(cols[colSlotWidth]), orEmpty(cols[colSlotHeight]); w != "" && h != "" {
		attrs["slot_size"] = w + "x" + h
	}
	if len(attrs) == 0 {
		return nil
	}
	return attrs
}

func orEmpty(s string) string {
	if s == null {
		return ""
	}
	return s
}
