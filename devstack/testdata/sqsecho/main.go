// Command sqsecho is a test Lambda for devstack's SQS event source mapping. It appends
// "<batch size> <message id> <receive count> <body> <unix ns>" to the file named by ECHO_OUT for
// every message, and answers according to the body: "fail" is reported as a batch item
// failure, "fast" too after setting its visibility timeout to 0 (as the notifier does
// to retry sooner), "crash" fails the whole invocation, "badid" reports an identifier
// that is not in the batch; anything else succeeds.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	q := sqs.NewFromConfig(cfg)
	lambda.Start(func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		return handle(ctx, q, ev)
	})
}

func handle(ctx context.Context, q *sqs.Client, ev events.SQSEvent) (
	events.SQSEventResponse, error) {
	f, err := os.OpenFile(os.Getenv("ECHO_OUT"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return events.SQSEventResponse{}, err
	}
	defer f.Close()
	var resp events.SQSEventResponse
	crash := false
	for _, m := range ev.Records {
		fmt.Fprintf(f, "%d %s %s %s %d\n", len(ev.Records), m.MessageId,
			m.Attributes["ApproximateReceiveCount"], m.Body, time.Now().UnixNano())
		switch m.Body {
		case "fast":
			_, err := q.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
				QueueUrl: aws.String(os.Getenv("QUEUE_URL")), ReceiptHandle: aws.String(m.ReceiptHandle),
				VisibilityTimeout: 0})
			if err != nil {
				return resp, err
			}
			fallthrough
		case "fail":
			resp.BatchItemFailures = append(resp.BatchItemFailures,
				events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		case "badid":
			resp.BatchItemFailures = append(resp.BatchItemFailures,
				events.SQSBatchItemFailure{ItemIdentifier: "not-in-batch"})
		case "crash":
			crash = true
		}
	}
	if crash {
		return resp, errors.New("asked to crash")
	}
	return resp, nil
}
