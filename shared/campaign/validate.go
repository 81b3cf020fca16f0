package campaign

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"

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
		return strings.TrimSpace(s) != "" && strings.IndexFunc(s, unicode.IsControl) < 0
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

// scheduleRules: the end comes after the start.
func scheduleRules(sl validator.StructLevel) {
	s := sl.Current().Interface().(Schedule)
	start, err1 := time.Parse(time.RFC3339, s.Start)
	end, err2 := time.Parse(time.RFC3339, s.End)
	if s.End != "" && err1 == nil && err2 == nil && !end.After(start) {
		sl.ReportError(s.End, "end", "End", "after_start", "")
	}
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
		out = append(out, httpapi.FieldError{Field: path, Reason: reason(fe)})
	}
	sortFields(out)
	return out
}

func sortFields(fs []httpapi.FieldError) {
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Field < fs[j].Field })
}

// reason turns a validator failure into a sentence for the client.
func reason(fe validator.FieldError) string {
	unit := "characters"
	if k := fe.Kind(); k == reflect.Slice || k == reflect.Array {
		unit = "items"
	}
	numeric := fe.Kind() >= reflect.Int && fe.Kind() <= reflect.Float64
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
		return "must not be blank or hold control characters"
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
	}
	return "is invalid (" + fe.Tag() + ")"
}
