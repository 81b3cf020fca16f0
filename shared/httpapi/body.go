package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"reflect"
	"sort"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// JSONType is the media type of JSON request bodies.
const JSONType = "application/json"

// ErrBadJSON means a body is not one JSON object.
var ErrBadJSON = errors.New("body is not a JSON object")

// ReadBody returns the body of a request that must carry one of the media types types
// (parameters such as charset aside), at most limit bytes once base64-decoded. Otherwise
// it returns the answer that refuses it: 415 unsupported_media_type when Content-Type is
// missing or another type, 413 too_large over the limit, 400 bad_json when a base64 body
// does not decode.
func (r Responder) ReadBody(req *events.APIGatewayProxyRequest, limit int,
	types ...string) ([]byte, *events.APIGatewayProxyResponse) {
	mt, _, err := mime.ParseMediaType(Header(req, "Content-Type"))
	if err != nil || !containsFold(types, mt) {
		out := r.Error(http.StatusUnsupportedMediaType, "unsupported_media_type",
			"Content-Type must be one of: "+strings.Join(types, ", "))
		return nil, &out
	}
	data, err := Body(req)
	if err != nil {
		out := r.BadJSON()
		return nil, &out
	}
	if len(data) > limit {
		out := r.Error(http.StatusRequestEntityTooLarge, "too_large",
			fmt.Sprintf("the body is larger than %d KiB", limit>>10))
		return nil, &out
	}
	return data, nil
}

// BadJSON answers 400 bad_json: the body is not one JSON object.
func (r Responder) BadJSON() events.APIGatewayProxyResponse {
	return r.Error(http.StatusBadRequest, "bad_json", "the body must be a JSON object")
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// DecodeObject decodes body, which must be one JSON object, into the struct v points to.
// Keys match the fields' json tags exactly, case included; keys in ignore are dropped.
// It reports every key v has no field for (with the reason unknown(key) gives), every
// value of the wrong JSON type and every string that is not valid UTF-8 (Go would
// otherwise replace it with U+FFFD silently), sorted by field. A body that is not one
// JSON object gives ErrBadJSON.
func DecodeObject(body []byte, v any, unknown func(key string) string,
	ignore ...string) ([]FieldError, error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("decode object: %T is not a pointer to a struct", v)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil || doc == nil {
		return nil, ErrBadJSON
	}
	st := rv.Elem()
	known := map[string]int{}
	for i := 0; i < st.NumField(); i++ {
		name, _, _ := strings.Cut(st.Type().Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			known[name] = i
		}
	}
	var fields []FieldError
	for key, raw := range doc {
		i, ok := known[key]
		switch {
		case containsExact(ignore, key):
		case !ok:
			fields = append(fields, FieldError{Field: key, Reason: unknown(key)})
		case !validJSONText(raw):
			fields = append(fields, FieldError{Field: key, Reason: "must be valid UTF-8"})
		default:
			f := st.Field(i)
			if err := json.Unmarshal(raw, f.Addr().Interface()); err != nil {
				f.SetZero()
				fields = append(fields, FieldError{Field: key,
					Reason: "must be " + JSONKind(f.Type())})
			}
		}
	}
	SortFields(fields)
	return fields, nil
}

// MergeFields adds the validation failures to the decoding ones and sorts them by field:
// a field that could not be decoded is not also reported as, say, required, and neither
// is anything inside it (a.b or a[0] under a).
func MergeFields(decoded, validated []FieldError) []FieldError {
	out := decoded
	for _, f := range validated {
		if !within(f.Field, decoded) {
			out = append(out, f)
		}
	}
	SortFields(out)
	return out
}

// within reports whether path is one of the fields or lies inside one of them.
func within(path string, fields []FieldError) bool {
	for _, f := range fields {
		if path == f.Field || strings.HasPrefix(path, f.Field+".") ||
			strings.HasPrefix(path, f.Field+"[") {
			return true
		}
	}
	return false
}

// SortFields sorts failing fields by name, keeping the order of a field's reasons.
func SortFields(fs []FieldError) {
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Field < fs[j].Field })
}

func containsExact(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// JSONKind names the JSON type a Go type decodes from, for reasons such as
// "must be " + JSONKind(t): "a string", "true or false", "an integer", "a number",
// "an array" or "an object" (through pointers).
func JSONKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}
