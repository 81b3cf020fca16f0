package main

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

// healthRoutes is GET /v1/health: public, no authorizer, no key (functions/health).
var healthRoutes = []route{{"GET", "v1/health"}}

// addHealth creates the health function, which checks the pipeline's tables, the Events
// stream and the queues with read-only describe calls, each under a short timeout.
func addHealth(stack awscdk.Stack, st storage, assetDir func(string) string,
	notifications awssqs.Queue) awslambda.Function {
	tables := []awsdynamodb.Table{st.apiKeys, st.aggregates, st.claims, st.campaigns}
	queues := []awssqs.Queue{st.failures, notifications}
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = *t.TableName()
	}
	urls := make([]string, len(queues))
	for i, q := range queues {
		urls[i] = *q.QueueUrl()
	}
	fn := newFunction(stack, assetDir, functionSpec{
		id:       "Health",
		folder:   "health",
		memoryMB: 256,
		timeout:  awscdk.Duration_Seconds(jsii.Number(5)),
		env: map[string]*string{
			// Tokens inside a joined string synthesize as an Fn::Join.
			"HEALTH_TABLES":     jsii.String(strings.Join(names, ",")),
			"STREAM_NAME":       st.stream.StreamName(),
			"HEALTH_QUEUE_URLS": jsii.String(strings.Join(urls, ",")),
			"HEALTH_TIMEOUT_MS": jsii.String("2000"),
			"LOG_LEVEL":         jsii.String("info"),
		},
	})
	for _, t := range tables {
		allow(fn, t.TableArn(), "dynamodb:DescribeTable")
	}
	allow(fn, st.stream.StreamArn(), "kinesis:DescribeStreamSummary")
	for _, q := range queues {
		allow(fn, q.QueueArn(), "sqs:GetQueueAttributes")
	}
	return fn
}
