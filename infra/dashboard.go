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
	titleIngestEvents  = "Ingest: events accepted / rejected by reason"
	titleIteratorAge   = "Kinesis iterator age (max)"
	titleAggregate     = "Aggregate: duration and errors"
	titleAggLag        = "Aggregation lag p50 / p99 (ms)"
	titleAggEvents     = "Aggregate: events counted, duplicates, poison"
	titleDLQ           = "DLQ depths"
	titleNotifications = "Notification outcomes"
	titleNotifyChannel = "Notifications failed by channel"
	titleDecisions     = "Capping decisions"
	titleAPILatency    = "API latency p50 / p99"
	titleAPIErrors     = "API 4xx / 5xx"
)

// addDashboard creates the pipeline dashboard, three graphs a row: ingest and the stream,
// aggregation, dead letters with notifications and capping, then the API. Graphs of the
// functions' own metrics (shared/metrics) sit beside the AWS ones they explain.
func addDashboard(stack awscdk.Stack, st storage, fns functions, api awsapigateway.RestApi) {
	var dlqs []awscloudwatch.IMetric
	for _, id := range []string{"IngestFailures", "NotificationsDLQ"} {
		q := deadLetterQueues(st, fns)[id]
		dlqs = append(dlqs, q.MetricApproximateNumberOfMessagesVisible(
			&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"),
				Label: jsii.String(id)}))
	}
	rows := [][]awscloudwatch.IWidget{
		{
			graph(titleIngest, []awscloudwatch.IMetric{
				fns.ingest.MetricInvocations(nil), st.stream.MetricIncomingRecords(nil),
			}, []awscloudwatch.IMetric{
				fns.ingest.MetricErrors(nil), fns.ingest.MetricThrottles(nil),
			}),
			graph(titleIngestEvents, []awscloudwatch.IMetric{
				emfMetric("ingest", "EventsAccepted", "Sum", nil),
			}, []awscloudwatch.IMetric{
				emfBreakdown("ingest", "EventsRejected", "Reason"),
				emfBreakdown("ingest", "RequestsRefused", "Reason"),
			}),
			graph(titleIteratorAge, []awscloudwatch.IMetric{
				st.stream.MetricGetRecordsIteratorAgeMilliseconds(perMinute("Maximum")),
			}, nil),
		},
		{
			graph(titleAggregate, []awscloudwatch.IMetric{
				fns.aggregate.MetricDuration(perMinute("p50")),
				fns.aggregate.MetricDuration(perMinute("p99")),
			}, []awscloudwatch.IMetric{fns.aggregate.MetricErrors(nil)}),
			graph(titleAggLag, []awscloudwatch.IMetric{
				emfMetric("aggregate", "AggregationLagMs", "p50", nil),
				emfMetric("aggregate", "AggregationLagMs", "p99", nil),
			}, nil),
			graph(titleAggEvents, []awscloudwatch.IMetric{
				emfMetric("aggregate", "EventsAggregated", "Sum", nil),
				emfMetric("aggregate", "EventsDuplicate", "Sum", nil),
			}, []awscloudwatch.IMetric{emfMetric("aggregate", "PoisonEvents", "Sum", nil)}),
		},
		{
			graph(titleDLQ, dlqs, nil),
			graph(titleNotifications, []awscloudwatch.IMetric{
				emfMetric("notifier", "NotificationsSent", "Sum", nil),
				emfMetric("notifier", "NotificationsFailed", "Sum", nil),
			}, []awscloudwatch.IMetric{notificationFailureRate()}),
			graph(titleDecisions, []awscloudwatch.IMetric{
				emfMetric("decide", "DecisionsAllowed", "Sum", nil),
				emfMetric("decide", "DecisionsCapped", "Sum", nil),
			}, []awscloudwatch.IMetric{emfBreakdown("decide", "DecisionsCapped", "Reason")}),
		},
		{
			graph(titleAPILatency, []awscloudwatch.IMetric{
				api.MetricLatency(perMinute("p50")), api.MetricLatency(perMinute("p99")),
			}, nil),
			graph(titleAPIErrors, []awscloudwatch.IMetric{
				api.MetricClientError(nil), api.MetricServerError(nil),
			}, nil),
			graph(titleNotifyChannel, []awscloudwatch.IMetric{
				emfBreakdown("notifier", "NotificationsFailed", "Channel"),
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
