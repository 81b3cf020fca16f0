package main

import (
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
)

// userRateLimit is how many requests one signed-in user may make per userRateWindowS
// across the management functions (shared/ratelimit answers 429 past it).
const (
	userRateLimit   = 600
	userRateWindowS = 60
)

// addUserRateLimits creates the RateLimits table, one counter item per user and window
// that expires by itself, and lets every function behind the authorizer count in it.
// Each of them may only update items: it can neither read nor delete another counter.
func addUserRateLimits(stack awscdk.Stack, fns functions) awsdynamodb.Table {
	table := newTable(stack, "RateLimits", tableSpec{
		partitionKey: "pk",
		ttl:          true,
		removal:      awscdk.RemovalPolicy_DESTROY, // counters of the last minutes only
	})
	for _, fn := range fns.rateLimited() {
		fn.AddEnvironment(jsii.String("RATE_LIMITS_TABLE"), table.TableName(), nil)
		fn.AddEnvironment(jsii.String("USER_RATE_LIMIT"),
			jsii.String(strconv.Itoa(userRateLimit)), nil)
		fn.AddEnvironment(jsii.String("USER_RATE_WINDOW_SECONDS"),
			jsii.String(strconv.Itoa(userRateWindowS)), nil)
		allow(fn, table.TableArn(), "dynamodb:UpdateItem")
	}
	return table
}

// rateLimited returns the functions whose every route is behind the authorizer: a user's
// requests to them are counted.
func (fns functions) rateLimited() []awslambda.Function {
	return []awslambda.Function{fns.admin, fns.campaigns, fns.alerts.rules, fns.reports,
		fns.capping.caps}
}
