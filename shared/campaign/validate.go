package campaign

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/adpulse/adpulse/shared/httpapi"
)

// ValidationError lists every failing field of a campaign body.
type ValidationError struct {
	Fields []httpapi.FieldError
}

// Error summarises the failing fields.
func (e *ValidationError) Error() string {
	names := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		names[i] = f.Field
	}
	return "invalid campaign: " + strings.Join(names, ", ")
}

var identRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// intRanges are the ranges of the integer fields, by JSON path without array indexes,
// as reasons give them: a number out of range, even one no int64 holds, is told the
// range ("must be an integer from 0 to 23").
var intRanges = map[string]string{
	"budget.total_micros":             "from 1 to 1000000000000000",
	"budget.daily_cap_micros":         "from 1 to budget.total_micros",
	"targeting.dayparting.start_hour": "from 0 to 23",
	"targeting.dayparting.end_hour":   "from 1 to 24",
}

var indexRE = regexp.MustCompile(`\[[0-9]+\]`)

// generic is a JSON path without its array indexes: targeting.dayparting.start_hour.
func generic(path string) string {
	return indexRE.ReplaceAllString(path, "")
}

// validate is safe for concurrent use and caches struct metadata, so there is one.
var validate = newValidator()

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	must(v.RegisterValidation("ident", func(fl validator.FieldLevel) bool {
		return identRE.MatchString(fl.Field().String())
	}))
	must(v.RegisterValidation("text", func(fl validator.FieldLevel) bool {
		s := fl.Field().String()
		_, bad := httpapi.BadRune(s)
		return strings.TrimSpace(s) != "" && !bad
	}))
	v.RegisterStructValidation(budgetRules, Budget{})
	v.RegisterStructValidation(scheduleRules, Schedule{})
	return v
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// budgetRules: the daily cap may not exceed the total.
func budgetRules(sl validator.StructLevel) {
	b := sl.Current().Interface().(Budget)
	if b.DailyCapMicros != nil && b.TotalMicros > 0 && *b.DailyCapMicros > b.TotalMicros {
		sl.ReportError(b.DailyCapMicros, "daily_cap_micros", "DailyCapMicros", "lte_total", "")
	}
}

// scheduleRules: the dates lie in the years MinYear to MaxYear, and the end comes after
// the start.
func scheduleRules(sl validator.StructLevel) {
	s := sl.Current().Interface().(Schedule)
	start, err1 := time.Parse(time.RFC3339, s.Start)
	end, err2 := time.Parse(time.RFC3339, s.End)
	if err1 == nil && !inYears(start) {
		sl.ReportError(s.Start, "start", "Start", "years", "")
	}
	switch {
	case s.End == "" || err2 != nil:
	case !inYears(end):
		sl.ReportError(s.End, "end", "End", "years", "")
	case err1 == nil && !end.After(start):
		sl.ReportError(s.End, "end", "End", "after_start", "")
	}
}

// inYears reports whether t, in its own offset, lies in the years MinYear to MaxYear.
func inYears(t time.Time) bool {
	return t.Year() >= MinYear && t.Year() <= MaxYear
}

// Validate checks a spec and returns a *ValidationError listing every failing field, or
// nil. Field paths are the JSON paths of the body: "budget.daily_cap_micros",
// "targeting.geo[2]".
func (s Spec) Validate() error {
	fields := validateFields(s)
	if len(fields) == 0 {
		return nil
	}
	return &ValidationError{Fields: fields}
}

func validateFields(s Spec) []httpapi.FieldError {
	err := validate.Struct(s)
	var verrs validator.ValidationErrors
	if err == nil || !errors.As(err, &verrs) {
		return nil
	}
	out := make([]httpapi.FieldError, 0, len(verrs))
	for _, fe := range verrs {
		_, path, _ := strings.Cut(fe.Namespace(), ".") // drop the "Spec." root
		out = append(out, httpapi.FieldError{Field: path, Reason: reason(fe, path)})
	}
	httpapi.SortFields(out)
	return out
}

// reason turns a validator failure of the field at path into a sentence for the
// client.
func reason(fe validator.FieldError, path string) string {
	unit := "characters"
	if k := fe.Kind(); k == reflect.Slice || k == reflect.Array {
		unit = "items"
	}
	numeric := fe.Kind() >= reflect.Int && fe.Kind() <= reflect.Float64
	if rng, ok := intRanges[generic(path)]; ok && numeric {
		switch fe.Tag() {
		case "min", "max", "gt", "lte":
			return "must be an integer " + rng
		}
	}
	switch fe.Tag() {
	case "required":
		return "is required"
	case "min":
		if numeric {
			return "must be at least " + fe.Param()
		}
		return fmt.Sprintf("must have at least %s %s", fe.Param(), unit)
	case "max":
		if numeric {
			return "must be at most " + fe.Param()
		}
		return fmt.Sprintf("must have at most %s %s", fe.Param(), unit)
	case "gt":
		if fe.Param() == "0" {
			return "must be positive"
		}
		return "must be greater than " + fe.Param()
	case "lte":
		return "must be at most " + fe.Param()
	case "gtfield":
		return "must be greater than start_hour"
	case "oneof":
		return "must be one of: " + strings.ReplaceAll(fe.Param(), " ", ", ")
	case "unique":
		return "must not repeat a value"
	case "ident":
		return "may hold only letters, digits, '_' and '-'"
	case "text":
		if r, bad := httpapi.BadRune(fmt.Sprint(fe.Value())); bad {
			return fmt.Sprintf("must not hold control or format characters (found U+%04X)", r)
		}
		return "must not be blank"
	case "iso4217":
		return "must be an ISO 4217 currency code such as USD"
	case "iso3166_1_alpha2|iso3166_2":
		return "must be an ISO 3166 country code (US) or country-region code (US-CA)"
	case "timezone":
		return "must be an IANA time zone such as Europe/Paris"
	case "datetime":
		return "must be an RFC 3339 date-time such as 2026-01-31T09:00:00Z"
	case "lte_total":
		return "must not exceed budget.total_micros"
	case "after_start":
		return "must be after schedule.start"
	case "years":
		return fmt.Sprintf("must be in the years %d to %d", MinYear, MaxYear)
	}
	return "is invalid (" + fe.Tag() + ")"
}
