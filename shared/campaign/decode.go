package campaign

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"github.com/adpulse/adpulse/shared/httpapi"
)

// ErrBadJSON means a body is not a JSON object.
var ErrBadJSON = errors.New("body is not a JSON object")

// ErrInvalidUTF8 means a body is not valid UTF-8; it is a kind of ErrBadJSON.
var ErrInvalidUTF8 = fmt.Errorf("%w: not valid UTF-8", ErrBadJSON)

// DecodeSpec reads a full campaign body (POST, PUT). Server fields in it (id, tenant_id,
// status, version, created_*, updated_*) are ignored; unknown fields, wrong types and
// failing values are all reported in one *ValidationError. A body that is not a JSON
// object gives ErrBadJSON.
func DecodeSpec(body []byte) (Spec, error) {
	doc, err := object(body)
	if err != nil {
		return Spec{}, err
	}
	for _, k := range serverFields {
		delete(doc, k)
	}
	fields := unknownFields(doc, reflect.TypeOf(Spec{}), "")
	// Values of the wrong type are reported here, each with its path, and dropped, so
	// that decoding the rest succeeds and validation reports every other field.
	_, typeErrs := checkTypes(doc, reflect.TypeOf(Spec{}), "")
	fields = append(fields, typeErrs...)
	clean, err := json.Marshal(doc)
	if err != nil {
		return Spec{}, fmt.Errorf("re-encode body: %w", err)
	}

	var s Spec
	if err := json.Unmarshal(clean, &s); err != nil {
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			return Spec{}, ErrBadJSON
		}
		fields = append(fields, httpapi.FieldError{Field: te.Field,
			Reason: "must be " + httpapi.JSONKind(te.Type)})
	}
	fields = httpapi.MergeFields(fields, validateFields(s))
	if len(fields) > 0 {
		return s, &ValidationError{Fields: fields}
	}
	return s, nil
}

// Patch applies a JSON Merge Patch (RFC 7386) to a spec: objects merge key by key, null
// removes a key, anything else (arrays included) replaces. Server fields in the patch
// are ignored. The result is validated like a full body.
func Patch(cur Spec, patch []byte) (Spec, error) {
	doc, err := object(patch)
	if err != nil {
		return Spec{}, err
	}
	for _, k := range serverFields {
		delete(doc, k)
	}
	patch, err = json.Marshal(doc)
	if err != nil {
		return Spec{}, fmt.Errorf("re-encode patch: %w", err)
	}
	base, err := json.Marshal(cur)
	if err != nil {
		return Spec{}, fmt.Errorf("encode campaign: %w", err)
	}
	merged, err := jsonpatch.MergePatch(base, patch)
	if err != nil {
		return Spec{}, ErrBadJSON
	}
	return DecodeSpec(merged)
}

// object decodes a body that must be one JSON object of valid UTF-8 (Go's decoder
// would turn invalid bytes into U+FFFD silently), keeping numbers exact.
func object(body []byte) (map[string]any, error) {
	if !utf8.Valid(body) {
		return nil, ErrInvalidUTF8
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil || doc == nil || dec.More() {
		return nil, ErrBadJSON
	}
	return doc, nil
}

// unknownFields lists the keys of v that the type t has no JSON field for, recursively.
func unknownFields(v any, t reflect.Type, path string) []httpapi.FieldError {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []httpapi.FieldError
	switch val := v.(type) {
	case map[string]any:
		if t.Kind() != reflect.Struct {
			return nil
		}
		known := jsonFields(t)
		for k, child := range val {
			ft, ok := known[k]
			if !ok {
				out = append(out, httpapi.FieldError{Field: join(path, k),
					Reason: "is not a campaign field"})
				continue
			}
			out = append(out, unknownFields(child, ft, join(path, k))...)
		}
	case []any:
		if t.Kind() != reflect.Slice {
			return nil
		}
		for i, child := range val {
			out = append(out, unknownFields(child, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
		}
	}
	return out
}

// jsonFields maps the JSON names of a struct's fields, embedded ones included, to types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for name, f := range structFields(t) {
		m[name] = f.Type
	}
	return m
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// checkTypes reports every value of v (a decoded body, numbers as json.Number) whose
// JSON type does not fit the Go type t it decodes into, with its JSON path. keep is
// false when v itself does not
// fit; values inside v that do not fit are removed from it (from objects) or set to
// null (in arrays, so that later elements keep their index).
func checkTypes(v any, t reflect.Type, path string) (keep bool,
	out []httpapi.FieldError) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil {
		return true, nil // null: the zero value, which validation judges
	}
	bad := func(reason string) (bool, []httpapi.FieldError) {
		return false, []httpapi.FieldError{{Field: path, Reason: reason}}
	}
	switch t.Kind() {
	case reflect.String:
		if _, ok := v.(string); !ok {
			return bad("must be a string")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		if !ok {
			return bad("must be an integer")
		}
		if reason := intReason(string(n), intRanges[generic(path)]); reason != "" {
			return bad(reason)
		}
	case reflect.Slice:
		items, ok := v.([]any)
		if !ok {
			return bad("must be an array of " + plural(t.Elem()))
		}
		for i, item := range items {
			keep, fs := checkTypes(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
			if !keep {
				items[i] = nil
			}
			out = append(out, fs...)
		}
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return bad("must be an object")
		}
		for name, f := range structFields(t) {
			child, ok := obj[name]
			if !ok {
				continue
			}
			keep, fs := checkTypes(child, f.Type, join(path, name))
			if !keep {
				delete(obj, name)
			}
			out = append(out, fs...)
		}
	}
	return true, out
}

// structFields maps the JSON names of a struct's fields, embedded ones included, to the
// fields.
func structFields(t reflect.Type) map[string]reflect.StructField {
	m := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case f.Anonymous && name == "":
			for k, sf := range structFields(f.Type) {
				m[k] = sf
			}
		case name != "" && name != "-":
			m[name] = f
		}
	}
	return m
}

// plainInt is a JSON integer written without a fraction or an exponent.
var plainInt = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)

// intReason checks the JSON number s for an integer field of range rng: "" when it is an
// integer that an int64 holds, otherwise why not. Numbers beyond int64, however
// written, are out of the field's range, so the reason gives the range.
func intReason(s, rng string) string {
	outside := "must be an integer " + rng
	if rng == "" {
		outside = "must be an integer from -9223372036854775808 to 9223372036854775807"
	}
	whole, fits := wholeNumber(s)
	switch {
	case !whole:
		return "must be an integer"
	case !fits:
		return outside
	case !plainInt.MatchString(s):
		return "must be an integer written without a fraction or exponent"
	}
	return ""
}

// wholeNumber reports whether the JSON number s has no fractional part, and whether it
// is then within the range of int64. It works on the digits, so 1e400 or 1e-400 cost
// no more than 1.
func wholeNumber(s string) (whole, fits bool) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	mant, expText, _ := strings.Cut(strings.ToLower(s), "e")
	intPart, frac, _ := strings.Cut(mant, ".")
	exp := 0
	if expText != "" {
		var err error
		if exp, err = strconv.Atoi(expText); err != nil { // too many digits
			exp = 1 << 30
			if strings.HasPrefix(expText, "-") {
				exp = -exp
			}
		}
		exp = max(min(exp, 1<<30), -1<<30)
	}
	// The value is 0.digits × 10^point.
	digits, point := intPart+frac, len(intPart)+exp
	for digits != "" && digits[0] == '0' {
		digits, point = digits[1:], point-1
	}
	digits = strings.TrimRight(digits, "0")
	if digits == "" {
		return true, true // zero
	}
	if len(digits) > point {
		return false, false
	}
	if point > 19 {
		return true, false
	}
	text := digits + strings.Repeat("0", point-len(digits))
	if neg {
		text = "-" + text
	}
	_, err := strconv.ParseInt(text, 10, 64)
	return true, err == nil
}

// plural names the JSON values a Go type decodes from, for "an array of ...".
func plural(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "strings"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "integers"
	case reflect.Struct, reflect.Map:
		return "objects"
	case reflect.Slice:
		return "arrays"
	}
	return "values"
}
