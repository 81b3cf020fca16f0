package campaign

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// ETag is the strong entity tag of a campaign version, quoted as HTTP wants it.
func ETag(id string, version int64) string {
	sum := sha256.Sum256([]byte(id + "#" + strconv.FormatInt(version, 10)))
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// IfMatch reports whether an If-Match header value matches the current ETag under the
// strong comparison of RFC 9110: "*" matches any existing campaign, weak tags (W/"...")
// never match, and a list matches when one of its tags does.
func IfMatch(header, etag string) bool {
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || tag == etag {
			return true
		}
	}
	return false
}

// IfMatchAny reports whether an If-Match header value holds "*": it matches whatever
// version the campaign has, so a write under it may re-read and retry like a write
// without If-Match.
func IfMatchAny(header string) bool {
	for _, tag := range strings.Split(header, ",") {
		if strings.TrimSpace(tag) == "*" {
			return true
		}
	}
	return false
}
