package meter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/adpulse/adpulse/shared/meter"
)

// fakeAWS answers each request by its operation (X-Amz-Target, or the path for SES).
type fakeAWS struct {
	mu      sync.Mutex
	answers map[string][]answer // queued answers per operation; the last one repeats
}

type answer struct {
	status int
	body   string
}

func (f *fakeAWS) Do(r *http.Request) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, r.Body)
	op := r.Header.Get("X-Amz-Target")
	if op == "" {
		op = r.URL.Path
	}
	if i := strings.LastIndexByte(op, '.'); i >= 0 {
		op = op[i+1:]
	}
	f.mu.Lock()
	q := f.answers[op]
	a := answer{200, "{}"}
	if len(q) > 0 {
		a = q[0]
		if len(q) > 1 {
			f.answers[op] = q[1:]
		}
	}
	f.mu.Unlock()
	return &http.Response{StatusCode: a.status, Body: io.NopCloser(strings.NewReader(a.body)),
		Header:  http.Header{"Content-Type": []string{"application/x-amz-json-1.0"}},
		Request: r}, nil
}

func config(f *fakeAWS, m *meter.Meter) aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""),
		HTTPClient:  f,
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts, o.RateLimiter = 3, ratelimit.None
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) {
					return 0, nil
				})
			})
		},
		APIOptions: []func(*middlewareStack) error{meter.Install(m)},
	}
}

func item(kv ...string) map[string]dbtypes.AttributeValue {
	out := map[string]dbtypes.AttributeValue{}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i]] = &dbtypes.AttributeValueMemberS{Value: kv[i+1]}
	}
	return out
}

const condFailed = `{"__type":"com.amazonaws.dynamodb.v20120810#` +
	`ConditionalCheckFailedException",` +
	`"message":"The conditional request failed"}`

const throttled = `{"__type":"com.amazonaws.dynamodb.v20120810#` +
	`ProvisionedThroughputExceededException",` +
	`"message":"slow down"}`

func TestInstallCountsUnitsOfKnownCalls(t *testing.T) {
	ctx := context.Background()
	table := aws.String("T")
	tests := []struct {
		name    string
		answers map[string][]answer
		call    func(aws.Config) error
		service string
		op      string
		want    meter.Usage
	}{
		{"kinesis records, a refused one not counted",
			map[string][]answer{"PutRecords": {{200, `{"FailedRecordCount":1,"Records":[` +
				`{"SequenceNumber":"1","ShardId":"s"},{"SequenceNumber":"2","ShardId":"s"},` +
				`{"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"x"}]}`}}},
			func(cfg aws.Config) error {
				_, err := kinesis.NewFromConfig(cfg).PutRecords(ctx, &kinesis.PutRecordsInput{
					StreamName: aws.String("s"), Records: []ktypes.PutRecordsRequestEntry{
						{Data: make([]byte, 100), PartitionKey: aws.String("p")},
						{Data: make([]byte, 25*1024), PartitionKey: aws.String("ab")},
						{Data: make([]byte, 30000), PartitionKey: aws.String("p")},
					}})
				return err
			}, "Kinesis", "PutRecords",
			meter.Usage{Calls: 1, Requests: 1, Records: 2, PutUnits: 3, RecordKB: 27,
				Bytes: 100 + 1 + 25*1024 + 2}},
		{"small put is one write unit", nil, func(cfg aws.Config) error {
			_, err := dynamodb.NewFromConfig(cfg).PutItem(ctx, &dynamodb.PutItemInput{
				TableName: table, Item: item("pk", "t#e1", "rec", "0/1/2")})
			return err
		}, "DynamoDB", "PutItem", meter.Usage{Calls: 1, Requests: 1, Items: 1, WriteUnits: 1}},
		{"a 1,024-byte item is one write unit", nil, putBinary(1020),
			"DynamoDB", "PutItem", meter.Usage{Calls: 1, Requests: 1, Items: 1, WriteUnits: 1}},
		{"a 1,025-byte item is two write units", nil, putBinary(1021),
			"DynamoDB", "PutItem", meter.Usage{Calls: 1, Requests: 1, Items: 1, WriteUnits: 2}},
		{"a failed condition still costs",
			map[string][]answer{"PutItem": {{400, condFailed}}}, func(cfg aws.Config) error {
				_, err := dynamodb.NewFromConfig(cfg).PutItem(ctx, &dynamodb.PutItemInput{
					TableName: table, Item: item("pk", "a")})
				return ignore[*dbtypes.ConditionalCheckFailedException](err)
			}, "DynamoDB", "PutItem",
			meter.Usage{Calls: 1, Requests: 1, Errors: 1, Items: 1, WriteUnits: 1}},
		{"a throttled attempt is a request but no unit",
			map[string][]answer{"UpdateItem": {{400, throttled}, {200, "{}"}}},
			func(cfg aws.Config) error {
				_, err := dynamodb.NewFromConfig(cfg).UpdateItem(ctx, &dynamodb.UpdateItemInput{
					TableName: table, Key: item("pk", "a", "sk", "tot#0"),
					UpdateExpression:         aws.String("ADD #n :v"),
					ExpressionAttributeNames: map[string]string{"#n": "impressions"},
					ExpressionAttributeValues: map[string]dbtypes.AttributeValue{
						":v": &dbtypes.AttributeValueMemberN{Value: "12"}},
				})
				return err
			}, "DynamoDB", "UpdateItem",
			meter.Usage{Calls: 1, Requests: 2, Items: 1, WriteUnits: 1}},
		{"a transaction costs twice", nil, func(cfg aws.Config) error {
			_, err := dynamodb.NewFromConfig(cfg).TransactWriteItems(ctx,
				&dynamodb.TransactWriteItemsInput{TransactItems: []dbtypes.TransactWriteItem{
					{Put: &dbtypes.Put{TableName: table, Item: item("pk", "a")}},
					{ConditionCheck: &dbtypes.ConditionCheck{TableName: table,
						Key: item("pk", "b"), ConditionExpression: aws.String("x")}},
				}})
			return err
		}, "DynamoDB", "TransactWriteItems",
			meter.Usage{Calls: 1, Requests: 1, Items: 2, WriteUnits: 4}},
		{"a strongly consistent 5 KB read is 2 read units",
			map[string][]answer{"GetItem": {{200, `{"Item":{"pk":{"S":"` +
				strings.Repeat("x", 5000) + `"}}}`}}},
			func(cfg aws.Config) error {
				_, err := dynamodb.NewFromConfig(cfg).GetItem(ctx, &dynamodb.GetItemInput{
					TableName: table, Key: item("pk", "a"), ConsistentRead: aws.Bool(true)})
				return err
			}, "DynamoDB", "GetItem", meter.Usage{Calls: 1, Requests: 1, Items: 1, ReadUnits: 2}},
		{"an eventually consistent miss is half a unit", nil, func(cfg aws.Config) error {
			_, err := dynamodb.NewFromConfig(cfg).GetItem(ctx, &dynamodb.GetItemInput{
				TableName: table, Key: item("pk", "a")})
			return err
		}, "DynamoDB", "GetItem", meter.Usage{Calls: 1, Requests: 1, ReadUnits: 0.5}},
		{"a query rounds the sum of its items",
			map[string][]answer{"Query": {{200, `{"Count":2,"Items":[{"a":{"S":"` +
				strings.Repeat("x", 3000) + `"}},{"a":{"S":"` + strings.Repeat("y", 3000) +
				`"}}]}`}}},
			func(cfg aws.Config) error {
				_, err := dynamodb.NewFromConfig(cfg).Query(ctx, &dynamodb.QueryInput{
					TableName: table, KeyConditionExpression: aws.String("pk = :p")})
				return err
			}, "DynamoDB", "Query", meter.Usage{Calls: 1, Requests: 1, Items: 2, ReadUnits: 1}},
		{"an SQS message over 64 KB is two requests", nil, func(cfg aws.Config) error {
			_, err := sqsClient(cfg).SendMessage(ctx, &sqs.SendMessageInput{
				QueueUrl: aws.String("q"), MessageBody: aws.String(strings.Repeat("m", 70000))})
			return err
		}, "SQS", "SendMessage", meter.Usage{Calls: 1, Requests: 1, SQSUnits: 2, Messages: 1}},
		{"an SQS batch under 64 KB is one request",
			map[string][]answer{"SendMessageBatch": {{200, `{"Successful":[` +
				`{"Id":"1","MessageId":"a","MD5OfMessageBody":"x"},` +
				`{"Id":"2","MessageId":"b","MD5OfMessageBody":"x"},` +
				`{"Id":"3","MessageId":"c","MD5OfMessageBody":"x"}],"Failed":[]}`}}},
			func(cfg aws.Config) error {
				var entries []sqstypes.SendMessageBatchRequestEntry
				for _, id := range []string{"1", "2", "3"} {
					entries = append(entries, sqstypes.SendMessageBatchRequestEntry{
						Id: aws.String(id), MessageBody: aws.String(strings.Repeat("m", 100))})
				}
				_, err := sqsClient(cfg).SendMessageBatch(ctx, &sqs.SendMessageBatchInput{
					QueueUrl: aws.String("q"), Entries: entries})
				return err
			}, "SQS", "SendMessageBatch",
			meter.Usage{Calls: 1, Requests: 1, SQSUnits: 1, Messages: 3}},
		{"an email to three recipients is three messages",
			map[string][]answer{"outbound-emails": {{200, `{"MessageId":"m"}`}}},
			func(cfg aws.Config) error {
				_, err := sesv2.NewFromConfig(cfg).SendEmail(ctx, &sesv2.SendEmailInput{
					FromEmailAddress: aws.String("a@example.com"),
					Destination: &sestypes.Destination{
						ToAddresses: []string{"b@example.com", "c@example.com"},
						CcAddresses: []string{"d@example.com"}},
					Content: &sestypes.EmailContent{Simple: &sestypes.Message{
						Subject: &sestypes.Content{Data: aws.String("s")},
						Body:    &sestypes.Body{Text: &sestypes.Content{Data: aws.String("b")}}}},
				})
				return err
			}, "SESv2", "SendEmail", meter.Usage{Calls: 1, Requests: 1, Emails: 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := meter.New()
			f := &fakeAWS{answers: tc.answers}
			if f.answers == nil {
				f.answers = map[string][]answer{}
			}
			if err := tc.call(config(f, m)); err != nil {
				t.Fatalf("call: %v", err)
			}
			snap := m.Snapshot()
			if got := snap[tc.service][tc.op]; got != tc.want {
				t.Errorf("got %s.%s %+v, want %+v (all: %+v)", tc.service, tc.op, got,
					tc.want, snap)
			}
		})
	}
}

// putBinary puts an item of 3 bytes of key and n+1 bytes of binary attribute.
func putBinary(n int) func(aws.Config) error {
	return func(cfg aws.Config) error {
		it := item("pk", "x")
		it["b"] = &dbtypes.AttributeValueMemberB{Value: make([]byte, n)}
		_, err := dynamodb.NewFromConfig(cfg).PutItem(context.Background(),
			&dynamodb.PutItemInput{TableName: aws.String("T"), Item: it})
		return err
	}
}

func sqsClient(cfg aws.Config) *sqs.Client {
	return sqs.NewFromConfig(cfg, func(o *sqs.Options) {
		o.DisableMessageChecksumValidation = true
	})
}

// ignore returns nil when err is of type E.
func ignore[E error](err error) error {
	var e E
	if errorsAs(err, &e) {
		return nil
	}
	return err
}

func TestNumberAndItemSizes(t *testing.T) {
	tests := []struct {
		name string
		n    string
		want int
	}{
		{"three digits", "123", 3},
		{"trailing zeros trimmed", "1000", 2},
		{"leading zeros and sign", "-0.0012300", 3},
		{"zero", "0", 1},
		{"exponent", "1.5E+10", 2},
		{"38 digits", strings.Repeat("9", 38), 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := meter.NumberSize(tc.n); got != tc.want {
				t.Errorf("NumberSize(%q) = %d, want %d", tc.n, got, tc.want)
			}
		})
	}

	it := map[string]dbtypes.AttributeValue{
		"pk":   &dbtypes.AttributeValueMemberS{Value: "t#c"},                // 2 + 3
		"n":    &dbtypes.AttributeValueMemberN{Value: "42"},                 // 1 + 2
		"ok":   &dbtypes.AttributeValueMemberBOOL{Value: true},              // 2 + 1
		"tags": &dbtypes.AttributeValueMemberSS{Value: []string{"a", "bc"}}, // 4 + 3
		"l": &dbtypes.AttributeValueMemberL{Value: []dbtypes.AttributeValue{ // 1 + 3 + (1+1)
			&dbtypes.AttributeValueMemberS{Value: "x"}}},
		// 1+3+(1+1+2)
		"m": &dbtypes.AttributeValueMemberM{Value: map[string]dbtypes.AttributeValue{
			"k": &dbtypes.AttributeValueMemberN{Value: "7"}}},
	}
	if got, want := meter.ItemSize(it), 5+3+3+7+6+8; got != want {
		t.Errorf("ItemSize = %d, want %d", got, want)
	}
}

func TestTakeResetsAndHandlerLogsUsage(t *testing.T) {
	m := meter.New()
	m.Record("DynamoDB", "PutItem", meter.Usage{Calls: 2, Requests: 2, WriteUnits: 3})
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.MessageKey {
				a.Key = "message"
			}
			return a
		}}))
	h := meter.Handler(m, log, func(context.Context, string) (string, error) {
		m.Record("Kinesis", "PutRecords", meter.Usage{Calls: 1, Requests: 1, PutUnits: 4})
		return "ok", nil
	})
	if _, err := h(context.Background(), "in"); err != nil {
		t.Fatal(err)
	}

	var line meter.Line
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("decode %s: %v", buf.String(), err)
	}
	if line.Message != meter.UsageMessage || line.AWS["DynamoDB"]["PutItem"].WriteUnits != 3 ||
		line.AWS["Kinesis"]["PutRecords"].PutUnits != 4 || line.BilledMs < 0 {
		t.Errorf("got line %+v", line)
	}
	if snap := m.Snapshot(); len(snap) != 0 {
		t.Errorf("got %+v after the invocation, want the meter taken", snap)
	}
}
