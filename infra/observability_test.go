package main

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
)

// alarms returns the template's CloudWatch alarms by logical id.
func alarms() map[string]any {
	out := map[string]any{}
	for id, r := range resources {
		if field(r, "Type") == "AWS::CloudWatch::Alarm" {
			out[id] = r
		}
	}
	return out
}

// alarmOn returns the logical ids of the alarms on metric whose dimension name is value.
func alarmOn(metric, name string, value any) []string {
	var found []string
	for id, a := range alarms() {
		if field(a, "Properties", "MetricName") != metric {
			continue
		}
		dims, _ := field(a, "Properties", "Dimensions").([]any)
		want := obj{"Name": name, "Value": value}
		if containsJSON(dims, want) {
			found = append(found, id)
		}
	}
	sort.Strings(found)
	return found
}

func TestAlarmTopic(t *testing.T) {
	// GIVEN the stack WHEN reading SNS THEN one topic Alarms, refusing requests without TLS.
	logicalID(t, "AWS::SNS::Topic", "Alarms")
	check(t, "one topic", func() {
		tmpl.ResourceCountIs(jsii.String("AWS::SNS::Topic"), jsii.Number(1))
	})
	check(t, "enforce SSL", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::SNS::TopicPolicy"), obj{
			"PolicyDocument": obj{"Statement": []any{like(obj{
				"Effect":    "Deny",
				"Condition": obj{"Bool": obj{"aws:SecureTransport": "false"}},
			})}},
		})
	})
}

func TestEveryAlarmNotifiesAndLinksItsRunbook(t *testing.T) {
	// GIVEN every alarm WHEN reading it THEN it notifies the topic on alarm and on OK,
	// treats missing data as not breaching, and its description names a runbook that exists.
	topic := ref(logicalID(t, "AWS::SNS::Topic", "Alarms"))
	runbook := regexp.MustCompile(`docs/runbooks/[a-z0-9-]+\.md`)
	all := alarms()
	if len(all) == 0 {
		t.Fatal("no alarms")
	}
	for id, a := range all {
		for _, key := range []string{"AlarmActions", "OKActions"} {
			actions, _ := field(a, "Properties", key).([]any)
			if !containsJSON(actions, topic) {
				t.Errorf("%s %s: got %v, want the Alarms topic", id, key, actions)
			}
		}
		if got := field(a, "Properties", "TreatMissingData"); got != "notBreaching" {
			t.Errorf("%s TreatMissingData: got %v, want notBreaching", id, got)
		}
		desc, _ := field(a, "Properties", "AlarmDescription").(string)
		path := runbook.FindString(desc)
		if path == "" {
			t.Errorf("%s description links no runbook: %q", id, desc)
			continue
		}
		if _, err := os.Stat(filepath.Join("..", path)); err != nil {
			t.Errorf("%s runbook: %v", id, err)
		}
	}
}

func TestQueueDepthAlarms(t *testing.T) {
	// GIVEN every queue of the stack WHEN reading the alarms THEN exactly one watches its
	// visible messages: a queue whose id marks it as a DLQ or failure queue fires as soon
	// as it holds a message, the Notifications work queue on a backlog over 1,000 in 3 of 5.
	marked := regexp.MustCompile(`(?i)dlq|dead|failure`)
	dead, all := 0, 0
	for id, r := range resources {
		if field(r, "Type") != "AWS::SQS::Queue" {
			continue
		}
		all++
		found := alarmOn("ApproximateNumberOfMessagesVisible", "QueueName",
			obj{"Fn::GetAtt": []any{id, "QueueName"}})
		if len(found) != 1 {
			t.Errorf("queue %s: got depth alarms %v, want 1", id, found)
			continue
		}
		props := field(resources[found[0]], "Properties")
		if !marked.MatchString(id) {
			if field(props, "Threshold") != 1000.0 || field(props, "DatapointsToAlarm") != 3.0 ||
				field(props, "EvaluationPeriods") != 5.0 {
				t.Errorf("queue %s alarm: got %v, want > 1000 in 3 of 5", id, props)
			}
			continue
		}
		dead++
		if field(props, "Threshold") != 0.0 ||
			field(props, "ComparisonOperator") != "GreaterThanThreshold" ||
			field(props, "EvaluationPeriods") != 1.0 {
			t.Errorf("queue %s alarm: got %v, want > 0 over one period", id, props)
		}
	}
	if dead < 2 {
		t.Errorf("got %d dead-letter queues, want IngestFailures and NotificationsDLQ", dead)
	}
	if all != 3 {
		t.Errorf("got %d queues, want Notifications and the two dead-letter queues", all)
	}
	logicalID(t, "AWS::CloudWatch::Alarm", "NotificationsBacklogAlarm")
}

func TestFunctionAlarms(t *testing.T) {
	// GIVEN every function WHEN reading the alarms THEN it has an Errors and a Throttles alarm.
	for id, r := range resources {
		if field(r, "Type") != "AWS::Lambda::Function" {
			continue
		}
		for _, metric := range []string{"Errors", "Throttles"} {
			if found := alarmOn(metric, "FunctionName", ref(id)); len(found) != 1 {
				t.Errorf("function %s: got %s alarms %v, want 1", id, metric, found)
			}
		}
	}
}

func TestPipelineAlarms(t *testing.T) {
	// GIVEN the stack WHEN reading the stream and API alarms THEN iterator age over 60 s in 3
	// of 5 minutes, 5xx rate over 1% and p99 over 1 s in 3 of 5 minutes, and the notifier's
	// failure rate as a math expression.
	cases := []struct {
		name, metric, dim string
		value             any
		stat              string
		threshold         float64
	}{
		{"iterator age", "GetRecords.IteratorAgeMilliseconds", "StreamName",
			ref(logicalID(t, "AWS::Kinesis::Stream", "Events")), "Maximum", 60000},
		{"5xx rate", "5XXError", "ApiName", "adpulse", "Average", 0.01},
		{"p99 latency", "Latency", "ApiName", "adpulse", "", 1000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			found := alarmOn(tc.metric, tc.dim, tc.value)
			if len(found) != 1 {
				t.Fatalf("got alarms %v, want 1", found)
			}
			props := field(resources[found[0]], "Properties")
			if field(props, "Threshold") != tc.threshold ||
				field(props, "EvaluationPeriods") != 5.0 ||
				field(props, "DatapointsToAlarm") != 3.0 {
				t.Errorf("got %v, want > %v in 3 of 5", props, tc.threshold)
			}
			if tc.stat != "" && field(props, "Statistic") != tc.stat {
				t.Errorf("statistic: got %v, want %s", field(props, "Statistic"), tc.stat)
			}
		})
	}
	t.Run("notification failure rate", func(t *testing.T) {
		id := logicalID(t, "AWS::CloudWatch::Alarm", "NotificationFailureRateAlarm")
		metrics, _ := field(resources[id], "Properties", "Metrics").([]any)
		var exprs, names []string
		for _, m := range metrics {
			if e, ok := field(m, "Expression").(string); ok {
				exprs = append(exprs, e)
			}
			if n, ok := field(m, "MetricStat", "Metric", "MetricName").(string); ok {
				if field(m, "MetricStat", "Metric", "Namespace") == emfNamespace {
					names = append(names, n)
				}
			}
		}
		sort.Strings(names)
		if len(exprs) != 1 || !strings.Contains(exprs[0], "failed / (sent + failed)") {
			t.Errorf("got expressions %q, want failed / (sent + failed)", exprs)
		}
		if strings.Join(names, ",") != "NotificationsFailed,NotificationsSent" {
			t.Errorf("got adpulse metrics %v, want NotificationsFailed and NotificationsSent",
				names)
		}
	})
}

func TestBusinessMetricAlarms(t *testing.T) {
	// GIVEN the functions' own metrics WHEN reading the alarms THEN aggregation lag p99 over
	// 30 s and stream rejections at ingest fire in 3 of 5 minutes, on the adpulse namespace
	// with the dimensions the functions write.
	cases := []struct {
		alarm, metric, stat string
		dims                []any
		threshold           float64
	}{
		{"AggregationLagAlarm", "AggregationLagMs", "p99",
			[]any{obj{"Name": "Function", "Value": "aggregate"}}, 30000},
		{"IngestStreamRejectionsAlarm", "EventsRejected", "Sum", []any{
			obj{"Name": "Function", "Value": "ingest"}, obj{"Name": "Reason", "Value": "stream"},
		}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.alarm, func(t *testing.T) {
			props := field(resources[logicalID(t, "AWS::CloudWatch::Alarm", tc.alarm)],
				"Properties")
			if field(props, "Namespace") != emfNamespace ||
				field(props, "MetricName") != tc.metric ||
				field(props, "ExtendedStatistic") != tc.stat &&
					field(props, "Statistic") != tc.stat {
				t.Errorf("got %v, want %s %s in %s", props, tc.stat, tc.metric, emfNamespace)
			}
			dims, _ := field(props, "Dimensions").([]any)
			if len(dims) != len(tc.dims) {
				t.Errorf("dimensions: got %v, want %v", dims, tc.dims)
			}
			for _, d := range tc.dims {
				if !containsJSON(dims, d) {
					t.Errorf("dimensions %v lack %v", dims, d)
				}
			}
			if field(props, "Threshold") != tc.threshold ||
				field(props, "ComparisonOperator") != "GreaterThanThreshold" ||
				field(props, "EvaluationPeriods") != 5.0 ||
				field(props, "DatapointsToAlarm") != 3.0 {
				t.Errorf("got %v, want > %v in 3 of 5", props, tc.threshold)
			}
		})
	}
}

func TestDashboard(t *testing.T) {
	// GIVEN the stack WHEN reading the dashboard adpulse THEN it has the pipeline's widgets.
	id := logicalID(t, "AWS::CloudWatch::Dashboard", "Dashboard")
	if got := field(resources[id], "Properties", "DashboardName"); got != dashboardName {
		t.Errorf("DashboardName: got %v, want %s", got, dashboardName)
	}
	body := resourceName(field(resources[id], "Properties", "DashboardBody"))
	for _, title := range []string{titleIngest, titleIngestEvents, titleIteratorAge,
		titleAggregate, titleAggLag, titleAggEvents, titleDLQ, titleNotifications,
		titleNotifyChannel, titleDecisions, titleAPILatency, titleAPIErrors} {
		if !strings.Contains(body, `"title":"`+title+`"`) {
			t.Errorf("dashboard has no widget %q", title)
		}
	}
	for _, want := range []string{`"p50"`, `"p99"`, `"5XXError"`, `"4XXError"`,
		`"GetRecords.IteratorAgeMilliseconds"`, `"ApproximateNumberOfMessagesVisible"`,
		`"EventsAccepted"`, `"AggregationLagMs"`, `"EventsDuplicate"`, `"PoisonEvents"`,
		`"NotificationsSent"`, `"DecisionsAllowed"`, `"DecisionsCapped"`,
		`MetricName=\"EventsRejected\"`, `MetricName=\"NotificationsFailed\"`} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard body lacks %s", want)
		}
	}
}
