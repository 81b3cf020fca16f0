package meter_test

import (
	"errors"

	"github.com/aws/smithy-go/middleware"
)

type middlewareStack = middleware.Stack

func errorsAs(err error, target any) bool { return errors.As(err, target) }
