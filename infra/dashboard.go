package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/jsii-runtime-go"
)

// dashboardName is the name of the pipeline's CloudWatch dashboard.
const dashboardName = "adpulse"

// Titles of the dashboard's widgets, asserted by the tests.
const (
	titleIngest        = "Ingest: requests and errors"
	titleIteratorAge   = "Kinesis iterator age (max)"
	titleAggregate     = "Aggregate: duration and errors"
	titleDLQ           = "DLQ depths"
	titleNotifications = "Notification outcomes"
	titleAPILatency    = "API latency p50 / p99"
	titleAPIErrors     = "API 4xx / 5xx"
)

// addDashboard creates the pipeline dashboard: one row for ingest and the stream, one for
// aggregate and the dead letters, one for notifications and the API.
func addDashboard(stack awscdk.Stack, st storage, fns functions, api awsapigateway.RestApi) {
	var dlqs []awscloudwatch.IMetric
	for _, id := range []string{"IngestFailures", "NotificationsDLQ"} {
		q := deadLetterQueues(st, fns)[id]
		dlqs = append(dlqs, q.MetricApproximateNumberOfMessagesVisible(
			&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"),
				Label: jsii.String(id)}))
	}
	notifier := fns.alerts.notifier
	rows := [][]awscloudwatch.IWidget{
		{
			graph(titleIngest, []awscloudwatch.IMetric{
				fns.ingest.MetricInvocations(nil), st.stream.MetricIncomingRecords(nil),
			}, []awscloudwatch.IMetric{fns.ingest.MetricErrors(nil), fns.ingest.MetricThrottles(nil)}),
			graph(titleIteratorAge, []awscloudwatch.IMetric{
				st.stream.MetricGetRecordsIteratorAgeMilliseconds(perMinute("Maximum")),
			}, nil),
		},
		{
			graph(titleAggregate, []awscloudwatch.IMetric{
				fns.aggregate.MetricDuration(perMinute("p50")),
				fns.aggregate.MetricDuration(perMinute("p99")),
			}, []awscloudwatch.IMetric{fns.aggregate.MetricErrors(nil)}),
			graph(titleDLQ, dlqs, nil),
		},
		{
			graph(titleNotifications, []awscloudwatch.IMetric{
				notifier.MetricInvocations(nil), notifier.MetricErrors(nil),
			}, []awscloudwatch.IMetric{failureRate(notifier)}),
			graph(titleAPILatency, []awscloudwatch.IMetric{
				api.MetricLatency(perMinute("p50")), api.MetricLatency(perMinute("p99")),
			}, nil),
			graph(titleAPIErrors, []awscloudwatch.IMetric{
				api.MetricClientError(nil), api.MetricServerError(nil),
			}, nil),
		},
	}

	widgets := make([]*[]awscloudwatch.IWidget, 0, len(rows))
	for i := range rows {
		widgets = append(widgets, &rows[i])
	}
	awscloudwatch.NewDashboard(stack, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName: jsii.String(dashboardName),
		Widgets:       &widgets,
	})
}

// graph is a line graph of left (and right, on its own axis) titled title.
func graph(title string, left, right []awscloudwatch.IMetric) awscloudwatch.GraphWidget {
	props := &awscloudwatch.GraphWidgetProps{
		Title: jsii.String(title), Left: &left, Width: jsii.Number(8),
	}
	if len(right) > 0 {
		props.Right = &right
	}
	return awscloudwatch.NewGraphWidget(props)
}
