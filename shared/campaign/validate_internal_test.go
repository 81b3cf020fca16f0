package campaign

import (
	"reflect"
	"testing"
)

// TestIntRangesCoverEveryIntegerField guards intRanges: every integer field of a spec
// has its range, and every range names an integer field.
func TestIntRangesCoverEveryIntegerField(t *testing.T) {
	found := map[string]bool{}
	var walk func(t reflect.Type, path string)
	walk = func(t reflect.Type, path string) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Struct:
			for name, f := range structFields(t) {
				walk(f.Type, join(path, name))
			}
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			found[path] = true
		}
	}
	walk(reflect.TypeOf(Spec{}), "")
	for path := range found {
		if intRanges[path] == "" {
			t.Errorf("integer field %s has no range in intRanges", path)
		}
	}
	for path := range intRanges {
		if !found[path] {
			t.Errorf("intRanges names %s, which is no integer field", path)
		}
	}
}

func TestWholeNumber(t *testing.T) {
	cases := []struct {
		n           string
		whole, fits bool
	}{
		{"0", true, true}, {"-0", true, true}, {"0.0e-5", true, true},
		{"9223372036854775807", true, true}, {"-9223372036854775808", true, true},
		{"9223372036854775808", true, false}, {"-9223372036854775809", true, false},
		{"99999999999999999999999", true, false}, {"1e400", true, false},
		{"1e99999999999999999999", true, false}, {"1.5", false, false},
		{"1e-400", false, false}, {"1e-99999999999999999999", false, false},
		{"10.0", true, true}, {"1.5e1", true, true}, {"1.25e1", false, false},
		{"120e-1", true, true}, {"0.000", true, true},
	}
	for _, tc := range cases {
		if whole, fits := wholeNumber(tc.n); whole != tc.whole || fits != tc.fits {
			t.Errorf("wholeNumber(%s) = %v, %v; want %v, %v", tc.n, whole, fits, tc.whole,
				tc.fits)
		}
	}
}
