package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

// runbookDir is where each alarm's description points, relative to the repository root.
const runbookDir = "docs/runbooks/"

// Alarm thresholds. Each alarm reads one-minute periods and treats missing data as not
// breaching: a function or queue that sees no traffic is healthy, not in alarm.
const (
	iteratorAgeLimitMS   = 60_000 // aggregate is a minute behind the stream
	functionErrorsPerMin = 3      // errors in one minute, in 2 of 3 minutes
	apiServerErrorRate   = 0.01   // 1% of requests answered 5xx, in 3 of 5 minutes
	apiLatencyP99MS      = 1_000  // gateway p99, in 3 of 5 minutes
	notifyFailurePercent = 10     // notification attempts failed, in 3 of 5 minutes
	aggregationLagMS     = 30_000 // p99 wait on the stream before counting, in 3 of 5 minutes
	notificationsBacklog = 1_000  // messages waiting in Notifications, in 3 of 5 minutes
)

// namedFunction is a function with its construct id, for alarm and dashboard names.
type namedFunction struct {
	id string
	fn awslambda.Function
}

// all returns every function of the stack, in a fixed order.
func (fns functions) all() []namedFunction {
	list := []awslambda.Function{fns.ingest, fns.aggregate, fns.auth, fns.authorizer,
		fns.admin, fns.campaigns, fns.alerts.rules, fns.alerts.notifier, fns.reports,
		fns.capping.decide, fns.capping.caps, fns.health}
	out := make([]namedFunction, 0, len(list))
	for _, fn := range list {
		out = append(out, namedFunction{id: *fn.Node().Id(), fn: fn})
	}
	return out
}

// deadLetterQueues returns the queues that hold what the pipeline gave up on, by construct id.
func deadLetterQueues(st storage, fns functions) map[string]awssqs.Queue {
	return map[string]awssqs.Queue{
		"IngestFailures":   st.failures,
		"NotificationsDLQ": fns.alerts.dlq,
	}
}

// observability holds the alarm topic and the alarms of each function, which the canary
// deployments roll back on.
type observability struct {
	topic          awssns.Topic
	functionAlarms map[string][]awscloudwatch.Alarm // by function construct id
}

// alarmSpec is one alarm: what it watches, when it fires and which runbook explains it.
type alarmSpec struct {
	id         string // construct id, also the alarm name after the stack name
	runbook    string // file name under docs/runbooks/
	summary    string
	metric     awscloudwatch.IMetric
	threshold  float64
	op         awscloudwatch.ComparisonOperator
	periods    float64 // evaluation periods of one minute
	datapoints float64 // breaching periods among them that fire the alarm
}

// addObservability creates the Alarms topic, the alarms and the dashboard of the stack.
func addObservability(stack awscdk.Stack, st storage, fns functions,
	api awsapigateway.RestApi) observability {
	o := observability{
		topic: awssns.NewTopic(stack, jsii.String("Alarms"), &awssns.TopicProps{
			DisplayName: jsii.String("adpulse alarms"),
			EnforceSSL:  jsii.Bool(true),
		}),
		functionAlarms: map[string][]awscloudwatch.Alarm{},
	}
	awscdk.NewCfnOutput(stack, jsii.String("AlarmsTopicArn"), &awscdk.CfnOutputProps{
		Value:       o.topic.TopicArn(),
		Description: jsii.String("SNS topic of every alarm: subscribe the on-call here"),
	})

	for _, spec := range pipelineAlarms(st, fns, api) {
		o.newAlarm(stack, spec)
	}
	for _, nf := range fns.all() {
		for _, spec := range functionAlarms(nf) {
			o.functionAlarms[nf.id] = append(o.functionAlarms[nf.id], o.newAlarm(stack, spec))
		}
	}
	addDashboard(stack, st, fns, api)
	return o
}

// newAlarm creates the alarm of spec, notifying the topic when it fires and when it clears.
func (o observability) newAlarm(stack awscdk.Stack, spec alarmSpec) awscloudwatch.Alarm {
	alarm := awscloudwatch.NewAlarm(stack, jsii.String(spec.id+"Alarm"),
		&awscloudwatch.AlarmProps{
			Metric:    spec.metric,
			AlarmName: jsii.String(*stack.StackName() + "-" + spec.id),
			AlarmDescription: jsii.String(spec.summary + " Runbook: " + runbookDir +
				spec.runbook),
			Threshold:          jsii.Number(spec.threshold),
			ComparisonOperator: spec.op,
			EvaluationPeriods:  jsii.Number(spec.periods),
			DatapointsToAlarm:  jsii.Number(spec.datapoints),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
	action := awscloudwatchactions.NewSnsAction(o.topic)
	alarm.AddAlarmAction(action)
	alarm.AddOkAction(action)
	return alarm
}

// perMinute is the metric option of one-minute periods with statistic stat.
func perMinute(stat string) *awscloudwatch.MetricOptions {
	return &awscloudwatch.MetricOptions{
		Statistic: jsii.String(stat),
		Period:    awscdk.Duration_Minutes(jsii.Number(1)),
	}
}

// pipelineAlarms are the alarms of the stream, the dead-letter queues, the API and the
// notifications.
func pipelineAlarms(st storage, fns functions, api awsapigateway.RestApi) []alarmSpec {
	gt := awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD
	specs := []alarmSpec{
		{"IteratorAge", "iterator-age.md",
			"The aggregate function is more than a minute behind the Events stream.",
			st.stream.MetricGetRecordsIteratorAgeMilliseconds(perMinute("Maximum")),
			iteratorAgeLimitMS, gt, 5, 3},
		{"Api5xxRate", "api-5xx.md", "Over 1% of API requests answered 5xx.",
			api.MetricServerError(perMinute("Average")), apiServerErrorRate, gt, 5, 3},
		{"ApiLatencyP99", "api-latency.md", "API p99 latency is over 1 s.",
			api.MetricLatency(perMinute("p99")), apiLatencyP99MS, gt, 5, 3},
		{"NotificationFailureRate", "notification-failures.md",
			"Over 10% of notification attempts failed.",
			notificationFailureRate(), notifyFailurePercent, gt, 5, 3},
		{"AggregationLag", "aggregation-lag.md",
			"Events wait over 30 s on the stream before they are counted (p99).",
			emfMetric("aggregate", "AggregationLagMs", "p99", nil), aggregationLagMS, gt, 5, 3},
		{"IngestStreamRejections", "ingest-rejections.md",
			"The stream refused valid events at ingest.",
			emfMetric("ingest", "EventsRejected", "Sum", map[string]string{"Reason": "stream"}),
			0, gt, 5, 3},
	}
	specs = append(specs, alarmSpec{"NotificationsBacklog", "queue-backlog.md",
		"Over 1,000 notifications wait in the Notifications queue.",
		fns.alerts.notifications.MetricApproximateNumberOfMessagesVisible(
			perMinute("Maximum")), notificationsBacklog, gt, 5, 3})
	for _, id := range []string{"IngestFailures", "NotificationsDLQ"} {
		q := deadLetterQueues(st, fns)[id]
		specs = append(specs, alarmSpec{id + "Depth", "dlq-not-empty.md",
			"Queue " + id + " holds messages the pipeline gave up on.",
			q.MetricApproximateNumberOfMessagesVisible(perMinute("Maximum")), 0, gt, 1, 1})
	}
	return specs
}

// notificationFailureRate is the percentage of notification attempts (every channel of
// every message) that failed, from the notifier's NotificationsSent and NotificationsFailed;
// 0 without attempts. The notifier records both in every minute it attempts a channel.
func notificationFailureRate() awscloudwatch.MathExpression {
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("IF(sent + failed > 0, 100 * failed / (sent + failed), 0)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"sent":   emfMetric("notifier", "NotificationsSent", "Sum", nil),
			"failed": emfMetric("notifier", "NotificationsFailed", "Sum", nil),
		},
		Label:  jsii.String("failed %"),
		Period: awscdk.Duration_Minutes(jsii.Number(1)),
	})
}

// functionAlarms are the errors and throttles alarms of one function.
func functionAlarms(nf namedFunction) []alarmSpec {
	gte := awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD
	return []alarmSpec{
		{nf.id + "Errors", "function-errors.md", "Function " + nf.id + " is failing.",
			nf.fn.MetricErrors(perMinute("Sum")), functionErrorsPerMin, gte, 3, 2},
		{nf.id + "Throttles", "function-throttles.md",
			"Function " + nf.id + " is throttled.",
			nf.fn.MetricThrottles(perMinute("Sum")), 1, gte, 5, 3},
	}
}
