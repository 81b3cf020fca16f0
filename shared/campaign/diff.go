package campaign

import (
	"bytes"
	"encoding/json"
	"sort"
)

// Change is one changed field of a write: its JSON path and its JSON values before and
// after (absent when the field did not exist on that side). Arrays count as one value.
type Change struct {
	Field string          `json:"field"`
	From  json.RawMessage `json:"from,omitempty"`
	To    json.RawMessage `json:"to,omitempty"`
}

// Diff lists the fields that differ between two JSON-encodable values, sorted by path.
func Diff(before, after any) ([]Change, error) {
	a, err := flatten(before)
	if err != nil {
		return nil, err
	}
	b, err := flatten(after)
	if err != nil {
		return nil, err
	}
	var out []Change
	for k, av := range a {
		if bv, ok := b[k]; !ok || !bytes.Equal(av, bv) {
			out = append(out, Change{Field: k, From: av, To: b[k]})
		}
	}
	for k, bv := range b {
		if _, ok := a[k]; !ok {
			out = append(out, Change{Field: k, To: bv})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out, nil
}

// flatten maps every leaf of v's JSON form (objects walked, arrays kept whole) to its
// JSON text; null leaves count as absent.
func flatten(v any) (map[string]json.RawMessage, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var root any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil {
		return nil, err
	}
	out := map[string]json.RawMessage{}
	var walk func(path string, v any) error
	walk = func(path string, v any) error {
		switch val := v.(type) {
		case nil:
			return nil
		case map[string]any:
			for k, child := range val {
				if err := walk(join(path, k), child); err != nil {
					return err
				}
			}
			return nil
		}
		raw, err := json.Marshal(v)
		out[path] = raw
		return err
	}
	return out, walk("", root)
}
