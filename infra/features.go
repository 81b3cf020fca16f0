package main

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
)

// features holds what alerts (docs/rules.md, docs/notifications.md), reports
// (docs/reports.md) and frequency capping (docs/capping.md) add to the stack.
type features struct {
	alerts  alerts
	reports awslambda.Function
	capping capping
	health  awslambda.Function // GET /v1/health (infra/health.go)
}

// addFeatures creates the resources of alerts, reports and capping, and gives the
// aggregate function the environment and grants with which it evaluates rules and
// counts capped impressions. It runs after the pipeline and management functions exist.
func addFeatures(stack awscdk.Stack, st storage, assetDir func(string) string,
	origins []string, fns *functions) {
	fns.alerts = addAlerts(stack, st, assetDir, origins, fns.aggregate)
	fns.reports = addReports(stack, st, assetDir, origins)
	fns.capping = addCapping(stack, st, assetDir, origins, fns.aggregate)
	fns.health = addHealth(stack, st, assetDir, fns.alerts.notifications)
}

// addFeatureRoutes adds the routes of the rules, reports, caps and decide functions:
// guarded ones behind the authorizer, their CORS preflights and the decision route public.
func addFeatureRoutes(api awsapigateway.RestApi, fns functions,
	guarded *awsapigateway.MethodOptions) {
	addRoutes(api, fns.alerts.rules, ruleRoutes, guarded)
	addRoutes(api, fns.alerts.rules, preflights(ruleRoutes), nil)
	addRoutes(api, fns.reports, reportRoutes, guarded)
	addRoutes(api, fns.reports, preflights(reportRoutes), nil)
	addRoutes(api, fns.capping.caps, capRoutes, guarded)
	addRoutes(api, fns.capping.caps, preflights(capRoutes), nil)
	// The x-api-key is checked by the function itself, as on /v1/events.
	addRoutes(api, fns.capping.decide, decisionRoutes, nil)
	// Health is public: it says ok or fail per dependency and names nothing.
	addRoutes(api, fns.health, healthRoutes, nil)
}

// preflights returns one OPTIONS route per distinct path of routes, in order. Browsers
// send no Authorization header on a CORS preflight, so these take no token.
func preflights(routes []route) []route {
	var out []route
	seen := map[string]bool{}
	for _, r := range routes {
		if !seen[r.path] {
			seen[r.path] = true
			out = append(out, route{"OPTIONS", r.path})
		}
	}
	return out
}

// contextString returns the CDK context value key (cdk.json or -c key=value), or def.
func contextString(stack awscdk.Stack, key, def string) string {
	if v, ok := stack.Node().TryGetContext(jsii.String(key)).(string); ok && v != "" {
		return v
	}
	return def
}

// contextNumber returns the CDK context value key as a positive number (cdk.json gives
// a number, -c key=value a string), or def when it is unset. A value that is not a
// positive number stops the synthesis with a message naming the key.
func contextNumber(stack awscdk.Stack, key string, def float64) float64 {
	var n float64
	switch v := stack.Node().TryGetContext(jsii.String(key)).(type) {
	case nil:
		return def
	case float64:
		n = v
	case string:
		var err error
		if n, err = strconv.ParseFloat(v, 64); err != nil {
			n = 0
		}
	}
	if n <= 0 {
		panic(fmt.Sprintf("CDK context %s: want a positive number", key))
	}
	return n
}
