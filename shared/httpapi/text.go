package httpapi

import (
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Unprintable reports whether s is not valid UTF-8 or holds a character BadRune
// refuses. Free-text fields refuse such text: it breaks log lines, terminals and
// spreadsheets, and can disguise what a text says.
func Unprintable(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	_, bad := BadRune(s)
	return bad
}

// BadRune returns the first control or format character of s (Unicode categories Cc
// and Cf: NUL, tab, newline, DEL, zero-width and bidirectional marks such as U+200B and
// U+202E, the byte order mark...). The zero-width joiner and non-joiner (U+200D, U+200C)
// are allowed: emoji sequences and scripts such as Persian and Devanagari need them.
func BadRune(s string) (rune, bool) {
	for _, r := range s {
		if r != '\u200c' && r != '\u200d' && unicode.In(r, unicode.Cc, unicode.Cf) {
			return r, true
		}
	}
	return 0, false
}

// validJSONText reports whether the strings of a JSON value are valid UTF-8 and hold no
// lone surrogate escape (\ud800 without its pair): the cases encoding/json replaces with
// U+FFFD without an error. raw is valid JSON.
func validJSONText(raw []byte) bool {
	if utf8.Valid(raw) {
		// Only escapes can still be broken.
		return validEscapes(raw)
	}
	return false
}

// validEscapes checks every \u escape of raw: a high surrogate must be followed by a
// low one, and a low one must follow a high one.
func validEscapes(raw []byte) bool {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		i++ // the escaped character
		if i >= len(raw) || raw[i] != 'u' {
			continue
		}
		r, ok := hex4(raw, i+1)
		if !ok {
			return false
		}
		i += 4
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return false // a low surrogate without a high one before it
		case r >= 0xD800 && r <= 0xDBFF:
			if i+6 >= len(raw) || raw[i+1] != '\\' || raw[i+2] != 'u' {
				return false
			}
			lo, ok := hex4(raw, i+3)
			if !ok || utf16.DecodeRune(r, lo) == unicode.ReplacementChar {
				return false
			}
			i += 6
		}
	}
	return true
}

// hex4 reads the four hex digits of a \u escape starting at raw[at].
func hex4(raw []byte, at int) (rune, bool) {
	if at+4 > len(raw) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(raw[at:at+4]), 16, 32)
	return rune(n), err == nil
}
