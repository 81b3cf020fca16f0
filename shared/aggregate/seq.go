package aggregate

import (
	"strings"
)

// seqWidth is the width sequence numbers are padded to so that strings compare as
// numbers. Kinesis sequence numbers have at most 129 digits.
const seqWidth = 130

// padSeq left-pads a sequence number with zeros to seqWidth.
func padSeq(seq string) string {
	if len(seq) >= seqWidth {
		return seq
	}
	return strings.Repeat("0", seqWidth-len(seq)) + seq
}

// seqLess reports whether sequence number a is below b.
func seqLess(a, b string) bool {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// shardOf returns the shard id of a Kinesis event id ("shardId-000000000000:4959...").
func shardOf(eventID string) string {
	if i := strings.IndexByte(eventID, ':'); i > 0 {
		return eventID[:i]
	}
	return eventID
}
