// Command echo is a test Lambda for devstack. It answers API Gateway proxy requests with
// the request event it received, and Kinesis batches according to each record's data:
// "fail" reports the record as a batch item failure, "crash" fails the whole invocation,
// "badid" reports an empty itemIdentifier, anything else succeeds. Every Kinesis record
// it sees is appended to the file named by ECHO_OUT as "<sequence> <data>".
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(handle)
}

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	if strings.Contains(string(raw), `"Records"`) {
		var ev events.KinesisEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("decode kinesis event: %w", err)
		}
		return kinesis(ev)
	}
	var req events.APIGatewayProxyRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return nil, fmt.Errorf("decode request: %w", err)
	}
	return api(req)
}

func api(req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	if req.Path == "/events/crash" {
		return events.APIGatewayProxyResponse{}, errors.New("asked to crash")
	}
	body, _ := json.Marshal(map[string]any{
		"event": req,
		"env": map[string]string{
			"STREAM_NAME":              os.Getenv("STREAM_NAME"),
			"API_KEYS_TABLE":           os.Getenv("API_KEYS_TABLE"),
			"AWS_ENDPOINT_URL":         os.Getenv("AWS_ENDPOINT_URL"),
			"AWS_LAMBDA_FUNCTION_NAME": os.Getenv("AWS_LAMBDA_FUNCTION_NAME"),
		},
	})
	return events.APIGatewayProxyResponse{
		StatusCode:        201,
		Headers:           map[string]string{"Content-Type": "application/json"},
		MultiValueHeaders: map[string][]string{"X-Echo": {"a", "b"}},
		Body:              string(body),
	}, nil
}

func kinesis(ev events.KinesisEvent) (events.KinesisEventResponse, error) {
	var resp events.KinesisEventResponse
	var lines strings.Builder
	for _, r := range ev.Records {
		fmt.Fprintf(&lines, "%s %s\n", r.Kinesis.SequenceNumber, r.Kinesis.Data)
	}
	if out := os.Getenv("ECHO_OUT"); out != "" {
		f, err := os.OpenFile(out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return resp, err
		}
		_, _ = f.WriteString(lines.String())
		_ = f.Close()
	}
	for _, r := range ev.Records {
		switch string(r.Kinesis.Data) {
		case "crash":
			return resp, errors.New("asked to crash")
		case "badid":
			resp.BatchItemFailures = append(resp.BatchItemFailures,
				events.KinesisBatchItemFailure{ItemIdentifier: ""})
		case "fail":
			resp.BatchItemFailures = append(resp.BatchItemFailures,
				events.KinesisBatchItemFailure{ItemIdentifier: r.Kinesis.SequenceNumber})
		}
	}
	return resp, nil
}
