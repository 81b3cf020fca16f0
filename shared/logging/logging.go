// Package logging builds the JSON slog logger every function uses: one line per record,
// the Lambda request id on every line logged with a context, level from the environment.
package logging

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// New returns the function logger. The level comes from AWS_LAMBDA_LOG_LEVEL (set by
// Lambda from the function's logging config) or else LOG_LEVEL, default info.
func New() *slog.Logger {
	if os.Getenv("AWS_LAMBDA_LOG_LEVEL") == "" && os.Getenv("LOG_LEVEL") != "" {
		os.Setenv("AWS_LAMBDA_LOG_LEVEL", os.Getenv("LOG_LEVEL"))
	}
	return lambdacontext.NewLogger()
}
