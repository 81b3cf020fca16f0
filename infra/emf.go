package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/jsii-runtime-go"
)

// emfNamespace is the CloudWatch namespace the functions write their embedded metric
// format lines to (shared/metrics.Namespace; infra does not import function code).
const emfNamespace = "adpulse"

// emfMetric is the business metric name written by the function whose Function dimension
// is function, read per minute with statistic stat. dims adds dimensions after Function;
// without them it is the function's total over every reason or channel (the metrics
// package publishes each metric under {Function} alone as well).
func emfMetric(function, name, stat string, dims map[string]string) awscloudwatch.Metric {
	all := map[string]*string{"Function": jsii.String(function)}
	for k, v := range dims {
		all[k] = jsii.String(v)
	}
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String(emfNamespace),
		MetricName:    jsii.String(name),
		DimensionsMap: &all,
		Statistic:     jsii.String(stat),
		Period:        awscdk.Duration_Minutes(jsii.Number(1)),
	})
}

// emfBreakdown graphs one line per value of dimension dim of the function's metric name
// (every reason, every channel), found by a CloudWatch SEARCH so new values appear
// without a deploy. Dashboards only: alarms cannot watch a SEARCH.
func emfBreakdown(function, name, dim string) awscloudwatch.MathExpression {
	expr := "SEARCH('{" + emfNamespace + ",Function," + dim + "} MetricName=\"" + name +
		"\" Function=\"" + function + "\"', 'Sum', 60)"
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String(expr),
		Period:     awscdk.Duration_Minutes(jsii.Number(1)),
	})
}
