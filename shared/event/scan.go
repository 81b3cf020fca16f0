package event

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner is a small JSON reader for the event hot path: one pass over the bytes, no
// reflection, values copied only when they are kept. It accepts exactly RFC 8259 JSON;
// object keys match exactly (encoding/json would also match them case-insensitively).
type scanner struct {
	data []byte
	i    int
	src  string // a string copy of data, or ""; kept strings are then cut from it
	// lone is set when a \u escape read holds a lone UTF-16 surrogate (decoded as
	// U+FFFD, as encoding/json does); readers of kept values clear it first and refuse
	// the value when it is set, so that different escapes cannot decode to one string.
	lone bool
}

// keep returns the bytes b read by str from offset start as a string: a substring of src
// when b aliases data there (no escapes), otherwise a copy.
func (s *scanner) keep(b []byte, start int) string {
	if s.src != "" && len(b) > 0 && start+len(b) <= len(s.data) && &s.data[start] == &b[0] {
		return s.src[start : start+len(b)]
	}
	return string(b)
}

var errSyntax = errors.New("malformed JSON")

func (s *scanner) fail(what string) error {
	if s.i >= len(s.data) {
		return fmt.Errorf("%w: unexpected end of input, %s", errSyntax, what)
	}
	r, _ := utf8.DecodeRune(s.data[s.i:])
	return fmt.Errorf("%w at byte %d: %s, found %q", errSyntax, s.i, what, r)
}

func (s *scanner) skipSpace() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.skipSpace()
	if s.i < len(s.data) {
		return s.data[s.i]
	}
	return 0
}

func (s *scanner) expect(c byte) error {
	if s.peek() != c {
		return s.fail(fmt.Sprintf("expected %q", c))
	}
	s.i++
	return nil
}

// atEnd reports whether only white space is left.
func (s *scanner) atEnd() bool {
	s.skipSpace()
	return s.i == len(s.data)
}

// kind names the JSON type of the value at the cursor, for error messages.
func (s *scanner) kind() string {
	switch s.peek() {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// strStop marks the bytes that end the plain run of a string: the closing quote, the
// start of an escape and the control characters, which JSON forbids inside strings.
var strStop = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// str reads a string value and returns its decoded bytes. When the string has no escapes
// the result aliases the input.
func (s *scanner) str() ([]byte, error) {
	if s.peek() != '"' {
		return nil, s.fail("expected a string")
	}
	s.i++
	start, i, data := s.i, s.i, s.data
	for i < len(data) && !strStop[data[i]] {
		i++
	}
	s.i = i
	if i < len(data) {
		switch data[i] {
		case '"':
			s.i++
			return data[start:i], nil
		case '\\':
			return s.strSlow(start)
		}
		return nil, s.fail("control character in a string")
	}
	return nil, s.fail("unterminated string")
}

// strSlow decodes a string with escapes, from start (just after the quote).
func (s *scanner) strSlow(start int) ([]byte, error) {
	out := append([]byte(nil), s.data[start:s.i]...)
	for s.i < len(s.data) {
		c := s.data[s.i]
		switch {
		case c == '"':
			s.i++
			return out, nil
		case c < 0x20:
			return nil, s.fail("control character in a string")
		case c != '\\':
			out = append(out, c)
			s.i++
			continue
		}
		if s.i+1 >= len(s.data) {
			return nil, s.fail("unterminated escape")
		}
		s.i += 2
		switch e := s.data[s.i-1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, err := s.unicodeEscape()
			if err != nil {
				return nil, err
			}
			out = utf8.AppendRune(out, r)
		default:
			s.i--
			return nil, s.fail("bad escape")
		}
	}
	return nil, s.fail("unterminated string")
}

// unicodeEscape reads the four hex digits of a \u escape (the cursor is after the u),
// joining a surrogate pair when one follows. A lone surrogate gives U+FFFD and sets s.lone.
func (s *scanner) unicodeEscape() (rune, error) {
	r, ok := s.hex4()
	if !ok {
		return 0, s.fail("bad \\u escape")
	}
	if !utf16.IsSurrogate(r) {
		return r, nil
	}
	if s.i+1 < len(s.data) && s.data[s.i] == '\\' && s.data[s.i+1] == 'u' {
		at := s.i
		s.i += 2
		r2, ok := s.hex4()
		if !ok {
			return 0, s.fail("bad \\u escape")
		}
		if joined := utf16.DecodeRune(r, r2); joined != utf8.RuneError {
			return joined, nil
		}
		s.i = at // not a pair: the second escape is read on its own
	}
	s.lone = true
	return utf8.RuneError, nil
}

func (s *scanner) hex4() (rune, bool) {
	if s.i+4 > len(s.data) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(s.data[s.i:s.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	s.i += 4
	return rune(v), true
}

// number reads a number token and returns its text.
func (s *scanner) number() ([]byte, error) {
	s.skipSpace()
	start := s.i
	if s.i < len(s.data) && s.data[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.data) && s.data[s.i] == '0':
		s.i++
	case s.i < len(s.data) && s.data[s.i] >= '1' && s.data[s.i] <= '9':
		s.digits()
	default:
		return nil, s.fail("expected a value")
	}
	if s.i < len(s.data) && s.data[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			return nil, s.fail("expected digits after the decimal point")
		}
	}
	if s.i < len(s.data) && (s.data[s.i] == 'e' || s.data[s.i] == 'E') {
		s.i++
		if s.i < len(s.data) && (s.data[s.i] == '+' || s.data[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			return nil, s.fail("expected digits in the exponent")
		}
	}
	return s.data[start:s.i], nil
}

func (s *scanner) digits() int {
	n := 0
	for s.i < len(s.data) && s.data[s.i] >= '0' && s.data[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}

func (s *scanner) literal(word string) error {
	if len(s.data)-s.i < len(word) || string(s.data[s.i:s.i+len(word)]) != word {
		return s.fail("expected a value")
	}
	s.i += len(word)
	return nil
}

// skip steps over one value of any type, checking its syntax, and returns its span.
func (s *scanner) skip() ([]byte, error) {
	c := s.peek()
	start := s.i
	var err error
	switch c {
	case '"':
		_, err = s.str()
	case '{':
		err = s.skipComposite('{', '}', true)
	case '[':
		err = s.skipComposite('[', ']', false)
	case 't':
		err = s.literal("true")
	case 'f':
		err = s.literal("false")
	case 'n':
		err = s.literal("null")
	default:
		_, err = s.number()
	}
	return s.data[start:s.i], err
}

func (s *scanner) skipComposite(open, close byte, object bool) error {
	s.i++ // the opening bracket
	if s.peek() == close {
		s.i++
		return nil
	}
	for {
		if object {
			if _, err := s.str(); err != nil {
				return err
			}
			if err := s.expect(':'); err != nil {
				return err
			}
		}
		if _, err := s.skip(); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case close:
			s.i++
			return nil
		default:
			return s.fail(fmt.Sprintf("expected ',' or %q", close))
		}
	}
}

// isNull consumes a null if one is next.
func (s *scanner) isNull() bool {
	if s.peek() == 'n' && s.literal("null") == nil {
		return true
	}
	return false
}
