package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"github.com/adpulse/adpulse/shared/httpapi"
)

// ErrBadJSON means a body is not a JSON object.
var ErrBadJSON = errors.New("body is not a JSON object")

// ValidationError lists every failing field of a rule body.
type ValidationError struct {
	Fields []httpapi.FieldError
}

// Error summarises the failing fields.
func (e *ValidationError) Error() string {
	names := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		names[i] = f.Field
	}
	return "invalid rule: " + strings.Join(names, ", ")
}

// serverFields are top-level keys the server sets; a body may carry them (a GET answer
// sent back with PUT does) and they are ignored.
var serverFields = []string{"id", "tenant_id", "version", "created_at", "created_by",
	"updated_at", "updated_by", "_links", "new_secrets"}

// DecodeSpec reads a full rule body (POST, PUT). Absent optional fields take their
// defaults (DefaultSpec); server fields are ignored; unknown fields, wrong types and
// failing values are all reported in one *ValidationError, which is returned with the
// spec as far as it decoded. A body that is not a JSON object gives ErrBadJSON. Checks
// that need the network or other tables (CheckDestinations, the campaign's existence)
// are the caller's.
func DecodeSpec(body []byte) (Spec, error) {
	doc, err := object(body)
	if err != nil {
		return Spec{}, err
	}
	for _, k := range serverFields {
		delete(doc, k)
	}
	fields := unknownFields(doc, reflect.TypeOf(Spec{}), "")
	clean, err := json.Marshal(doc)
	if err != nil {
		return Spec{}, fmt.Errorf("re-encode body: %w", err)
	}

	s := DefaultSpec()
	if err := json.Unmarshal(clean, &s); err != nil {
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			return Spec{}, ErrBadJSON
		}
		fields = append(fields, httpapi.FieldError{Field: te.Field,
			Reason: "must be " + httpapi.JSONKind(te.Type)})
	}
	for i := range s.Channels {
		s.Channels[i].Secrets = nil
	}
	for i := range s.Conditions {
		if s.Conditions[i].Scope == "" {
			s.Conditions[i].Scope = Lifetime
		}
	}
	fields = httpapi.MergeFields(fields, Validate(&s))
	if len(fields) > 0 {
		return s, &ValidationError{Fields: fields}
	}
	return s, nil
}

// Patch applies a JSON Merge Patch (RFC 7386) to a spec: objects merge key by key, null
// removes a key (an optional field then takes its default), arrays and scalars replace.
// Server fields in the patch are ignored; the result is validated like a full body.
// Channels are an array: a patch that sets channels must repeat each webhook channel's
// secret_id to keep its secret.
func Patch(cur Spec, patch []byte) (Spec, error) {
	doc, err := object(patch)
	if err != nil {
		return Spec{}, err
	}
	for _, k := range serverFields {
		delete(doc, k)
	}
	if patch, err = json.Marshal(doc); err != nil {
		return Spec{}, fmt.Errorf("re-encode patch: %w", err)
	}
	pub := Rule{Spec: cur}.Public().Spec
	base, err := json.Marshal(pub)
	if err != nil {
		return Spec{}, fmt.Errorf("encode rule: %w", err)
	}
	merged, err := jsonpatch.MergePatch(base, patch)
	if err != nil {
		return Spec{}, ErrBadJSON
	}
	return DecodeSpec(merged)
}

// object decodes a body that must be one JSON object, keeping numbers exact.
func object(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil || doc == nil || dec.More() {
		return nil, ErrBadJSON
	}
	return doc, nil
}

// unknownFields lists the keys of v that the type t has no client field for,
// recursively. Fields tagged api:"-" are the server's and count as unknown.
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
					Reason: "is not a rule field"})
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

// jsonFields maps the JSON names of a struct's client fields, embedded ones included,
// to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case f.Tag.Get("api") == "-":
		case f.Anonymous && name == "":
			for k, ft := range jsonFields(f.Type) {
				m[k] = ft
			}
		case name != "" && name != "-":
			m[name] = f.Type
		}
	}
	return m
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
