package meter

import (
	"errors"

	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Billing unit sizes.
const (
	PutUnitBytes   = 25 * 1024 // Kinesis PUT payload unit
	RecordKBBytes  = 1024      // Kinesis on-demand data in: each record rounded up to 1 KB
	WriteUnitBytes = 1024      // DynamoDB write request unit
	ReadUnitBytes  = 4 * 1024  // DynamoDB read request unit (strongly consistent)
	SQSUnitBytes   = 64 * 1024 // SQS: each 64 KB chunk of a request is one billed request
)

// Units returns the billing units of one call from its input, its output (nil when it
// failed) and its error. Calls of operations that bill nothing by themselves (describe,
// create, the ones of other services) return zero units.
func Units(input, output any, err error) Usage {
	switch in := input.(type) {
	case *kinesis.PutRecordInput:
		return kinesisPut(in, output)
	case *kinesis.PutRecordsInput:
		return kinesisPutRecords(in, output)
	case *sqs.SendMessageInput, *sqs.SendMessageBatchInput, *sqs.ReceiveMessageInput,
		*sqs.DeleteMessageInput, *sqs.DeleteMessageBatchInput,
		*sqs.ChangeMessageVisibilityInput, *sqs.ChangeMessageVisibilityBatchInput:
		return sqsUnits(input, output, err)
	case *sesv2.SendEmailInput:
		if err != nil {
			return Usage{}
		}
		return Usage{Emails: max(1, recipients(in.Destination))}
	case *sesv2.SendBulkEmailInput:
		if err != nil {
			return Usage{}
		}
		var n int64
		for _, e := range in.BulkEmailEntries {
			n += max(1, recipients(e.Destination))
		}
		return Usage{Emails: n}
	}
	return dynamoUnits(input, output, err)
}

func kinesisPut(in *kinesis.PutRecordInput, output any) Usage {
	if output == nil {
		return Usage{}
	}
	n := len(in.Data) + len(deref(in.PartitionKey))
	return Usage{Records: 1, PutUnits: ceilDiv(n, PutUnitBytes),
		RecordKB: ceilDiv(n, RecordKBBytes), Bytes: int64(n)}
}

// kinesisPutRecords counts the records the stream took; a record it refused
// (ErrorCode set) is sent again by the caller and counted then.
func kinesisPutRecords(in *kinesis.PutRecordsInput, output any) Usage {
	out, ok := output.(*kinesis.PutRecordsOutput)
	if !ok || out == nil {
		return Usage{}
	}
	var u Usage
	for i, r := range in.Records {
		if i < len(out.Records) && out.Records[i].ErrorCode != nil {
			continue
		}
		n := len(r.Data) + len(deref(r.PartitionKey))
		u.Records++
		u.PutUnits += ceilDiv(n, PutUnitBytes)
		u.RecordKB += ceilDiv(n, RecordKBBytes)
		u.Bytes += int64(n)
	}
	return u
}

// sqsUnits bills each request by 64 KB chunk of its payload (at least one); a failed
// request was still a request.
func sqsUnits(input, output any, err error) Usage {
	payload, messages := 0, int64(0)
	switch in := input.(type) {
	case *sqs.SendMessageInput:
		payload, messages = len(deref(in.MessageBody))+sqsAttrSize(in.MessageAttributes), 1
	case *sqs.SendMessageBatchInput:
		for _, e := range in.Entries {
			payload += len(deref(e.MessageBody)) + sqsAttrSize(e.MessageAttributes)
		}
		messages = int64(len(in.Entries))
		if out, ok := output.(*sqs.SendMessageBatchOutput); ok && out != nil {
			messages = int64(len(out.Successful))
		}
	case *sqs.ReceiveMessageInput:
		if out, ok := output.(*sqs.ReceiveMessageOutput); ok && out != nil {
			for _, msg := range out.Messages {
				payload += len(deref(msg.Body)) + sqsAttrSize(msg.MessageAttributes)
			}
			messages = int64(len(out.Messages))
		}
	}
	if err != nil {
		messages = 0
	}
	return Usage{SQSUnits: max(1, ceilDiv(payload, SQSUnitBytes)), Messages: messages}
}

func sqsAttrSize(attrs map[string]sqstypes.MessageAttributeValue) int {
	n := 0
	for name, v := range attrs {
		n += len(name) + len(deref(v.DataType)) + len(deref(v.StringValue)) + len(v.BinaryValue)
	}
	return n
}

func recipients(d *sestypes.Destination) int64 {
	if d == nil {
		return 0
	}
	return int64(len(d.ToAddresses) + len(d.CcAddresses) + len(d.BccAddresses))
}

// conditionFailed reports whether err is a refused condition, which DynamoDB bills.
func conditionFailed(err error) bool {
	var cc *dbtypes.ConditionalCheckFailedException
	var tc *dbtypes.TransactionCanceledException
	return errors.As(err, &cc) || errors.As(err, &tc)
}

// deref returns *p, or "" for nil.
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// ceilDiv returns n/unit rounded up, as an int64.
func ceilDiv(n, unit int) int64 { return int64((n + unit - 1) / unit) }
