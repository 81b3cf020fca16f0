package meter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/adpulse/adpulse/shared/meter"
)

const validation = `{"__type":"com.amazon.coral.validate#ValidationException",` +
	`"message":"bad key"}`

// labels names the physical tables of the calls below as a function's environment would.
var labels = map[string]string{"adpulse-claims-1a2b": "CLAIMS_TABLE",
	"adpulse-aggregates-3c4d": "AGGREGATES_TABLE"}

func TestInstallCountsUnitsByTable(t *testing.T) {
	ctx := context.Background()
	claims, aggs := aws.String("adpulse-claims-1a2b"), aws.String("adpulse-aggregates-3c4d")
	tests := []struct {
		name    string
		answers map[string][]answer
		call    func(*dynamodb.Client) error
		op      string
		want    map[string]meter.Usage // by table label
	}{
		{"a put is its table's, under the label", nil, func(db *dynamodb.Client) error {
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: claims,
				Item: binaryItem(2000)})
			return err
		}, "PutItem", map[string]meter.Usage{
			"CLAIMS_TABLE": {Calls: 1, Requests: 1, Items: 1, WriteUnits: 2}}},
		{"a table not in the labels keeps its name", nil, func(db *dynamodb.Client) error {
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("other"),
				Item: item("pk", "a")})
			return err
		}, "PutItem", map[string]meter.Usage{
			"other": {Calls: 1, Requests: 1, Items: 1, WriteUnits: 1}}},
		{"a throttled attempt is the table's request, not its unit",
			map[string][]answer{"UpdateItem": {{400, throttled}, {200, "{}"}}},
			func(db *dynamodb.Client) error {
				_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aggs,
					Key: item("pk", "a", "sk", "tot#0"), UpdateExpression: aws.String("ADD #n :v"),
					ExpressionAttributeNames: map[string]string{"#n": "impressions"},
					ExpressionAttributeValues: map[string]dbtypes.AttributeValue{
						":v": &dbtypes.AttributeValueMemberN{Value: "12"}}})
				return err
			}, "UpdateItem", map[string]meter.Usage{
				"AGGREGATES_TABLE": {Calls: 1, Requests: 2, Items: 1, WriteUnits: 1}}},
		{"a refused read names its table and bills nothing",
			map[string][]answer{"GetItem": {{400, validation}}},
			func(db *dynamodb.Client) error {
				_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aggs,
					Key: item("pk", "a")})
				if err == nil {
					return errors.New("the read was not refused")
				}
				return nil
			}, "GetItem", map[string]meter.Usage{
				"AGGREGATES_TABLE": {Calls: 1, Requests: 1, Errors: 1}}},
		{"a transaction's units go to each table, the call to the first",
			nil, func(db *dynamodb.Client) error {
				_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
					TransactItems: []dbtypes.TransactWriteItem{
						{Put: &dbtypes.Put{TableName: claims, Item: binaryItem(1500)}},
						{ConditionCheck: &dbtypes.ConditionCheck{TableName: aggs,
							Key: item("pk", "b"), ConditionExpression: aws.String("x")}},
					}})
				return err
			}, "TransactWriteItems", map[string]meter.Usage{
				"AGGREGATES_TABLE": {Calls: 1, Requests: 1, Items: 1, WriteUnits: 2},
				"CLAIMS_TABLE":     {Items: 1, WriteUnits: 4}}},
		{"a batch write without what was left unprocessed",
			map[string][]answer{"BatchWriteItem": {{200, `{"UnprocessedItems":{` +
				`"adpulse-claims-1a2b":[{"PutRequest":{"Item":{"pk":{"S":"c2"}}}}]}}`}}},
			func(db *dynamodb.Client) error {
				put := func(pk string) dbtypes.WriteRequest {
					return dbtypes.WriteRequest{
						PutRequest: &dbtypes.PutRequest{Item: item("pk", pk)}}
				}
				_, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
					RequestItems: map[string][]dbtypes.WriteRequest{
						*claims: {put("c1"), put("c2")},
						*aggs:   {put("a1"), put("a2"), put("a3")},
					}})
				return err
			}, "BatchWriteItem", map[string]meter.Usage{
				"AGGREGATES_TABLE": {Calls: 1, Requests: 1, Items: 3, WriteUnits: 3},
				"CLAIMS_TABLE":     {Items: 1, WriteUnits: 1}}},
		{"a batch read by the items each table returned",
			map[string][]answer{"BatchGetItem": {{200, `{"Responses":{` +
				`"adpulse-aggregates-3c4d":[{"pk":{"S":"` + strings.Repeat("x", 5000) +
				`"}},{"pk":{"S":"y"}}]}}`}}},
			func(db *dynamodb.Client) error {
				keys := dbtypes.KeysAndAttributes{Keys: []map[string]dbtypes.AttributeValue{
					item("pk", "a")}}
				_, err := db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{
					RequestItems: map[string]dbtypes.KeysAndAttributes{
						*aggs: keys, *claims: keys}})
				return err
			}, "BatchGetItem", map[string]meter.Usage{
				"AGGREGATES_TABLE": {Calls: 1, Requests: 1, Items: 2, ReadUnits: 1 + 0.5},
				"CLAIMS_TABLE":     {}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := meter.New()
			m.NameTables(labels)
			f := &fakeAWS{answers: map[string][]answer{}}
			maps.Copy(f.answers, tc.answers)
			if err := tc.call(dynamodb.NewFromConfig(config(f, m))); err != nil {
				t.Fatalf("call: %v", err)
			}
			tables := m.Tables()
			got := map[string]meter.Usage{}
			var sum meter.Usage
			for table, ops := range tables {
				for op, u := range ops {
					if op != tc.op {
						t.Errorf("got operation %s on %s, want only %s", op, table, tc.op)
					}
					got[table] = u
					sum = sum.Add(u)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got by table %+v, want %+v", got, tc.want)
			}
			if total := m.Snapshot()["DynamoDB"][tc.op]; sum != total {
				t.Errorf("tables sum to %+v, the operation's total is %+v", sum, total)
			}
		})
	}
}

// binaryItem is an item of a 3-byte key and an n+1-byte binary attribute.
func binaryItem(n int) map[string]dbtypes.AttributeValue {
	it := item("pk", "x")
	it["b"] = &dbtypes.AttributeValueMemberB{Value: make([]byte, n)}
	return it
}

func TestTableLabels(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		want    map[string]string
	}{
		{"tables by their variables", []string{"CLAIMS_TABLE=c-1", "AGGREGATES_TABLE=a-2",
			"LOG_LEVEL=info", "FAILURE_QUEUE_URL=http://q"},
			map[string]string{"c-1": "CLAIMS_TABLE", "a-2": "AGGREGATES_TABLE"}},
		{"lists and empty values are not tables", []string{"HEALTH_TABLES=a,b",
			"RULES_TABLE=", "X_TABLE_NAME=x"}, map[string]string{}},
		{"one table under two names: the first in order", []string{"RULES_TABLE=r",
			"DELIVERIES_TABLE=r"}, map[string]string{"r": "DELIVERIES_TABLE"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := meter.TableLabels(tc.environ); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestHandlerLogsUsageByTable(t *testing.T) {
	m := meter.New()
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.MessageKey {
				a.Key = "message"
			}
			return a
		}}))
	put := meter.Usage{Calls: 1, Requests: 1, Items: 1, WriteUnits: 7}
	h := meter.Handler(m, log, func(context.Context, string) (string, error) {
		m.Record("DynamoDB", "PutItem", put.Add(put))
		m.RecordTable("CLAIMS_TABLE", "PutItem", put)
		m.RecordTable("AGGREGATES_TABLE", "PutItem", put)
		return "ok", nil
	})
	for range 2 {
		buf.Reset()
		if _, err := h(context.Background(), "in"); err != nil {
			t.Fatal(err)
		}
		var line meter.Line
		if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
			t.Fatalf("decode %s: %v", buf.String(), err)
		}
		want := meter.Snapshot{"CLAIMS_TABLE": {"PutItem": put},
			"AGGREGATES_TABLE": {"PutItem": put}}
		if !reflect.DeepEqual(line.Tables, want) ||
			line.AWS["DynamoDB"]["PutItem"] != put.Add(put) {
			t.Errorf("got line %+v, want tables %+v", line, want)
		}
	}
	if len(m.Tables()) != 0 {
		t.Errorf("got %+v after the invocation, want the tables taken", m.Tables())
	}
}
