package mgmt_test

import (
	"fmt"
	"strings"

	verrors "github.com/pb33f/libopenapi-validator/errors"
)

// validationError is one failure of the validator, with its schema details.
type validationError struct{ *verrors.ValidationError }

func (e validationError) String() string {
	s := e.Message
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	var details []string
	for _, f := range e.SchemaValidationErrors {
		details = append(details, fmt.Sprintf("%s %s", f.FieldPath, f.Reason))
	}
	if len(details) > 0 {
		s += " [" + strings.Join(details, "; ") + "]"
	}
	return s
}

func wrap(ok bool, errs []*verrors.ValidationError) (bool, []*validationError) {
	out := make([]*validationError, len(errs))
	for i, e := range errs {
		out[i] = &validationError{e}
	}
	return ok, out
}
