package provision

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kintypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/adpulse/adpulse/devstack/template"
)

// LocalShards is the shard count of a stream the template leaves to on-demand capacity.
const LocalShards = 2

// Clients are the service clients provisioning uses, all pointed at the emulator.
type Clients struct {
	Kinesis  *kinesis.Client
	DynamoDB *dynamodb.Client
	SQS      *sqs.Client
	Secrets  *secretsmanager.Client
	Endpoint string // emulator base URL; queue URLs are rewritten to it
}

// Provision creates every stream, table, queue and secret of tpl and records in vals the
// queue URLs and secret ARNs the emulator returns, and each secret's value (for dynamic
// references).
func Provision(ctx context.Context, c Clients, tpl *template.Template, vals *template.Values,
	log *slog.Logger) error {
	start := time.Now()
	for _, id := range tpl.LogicalIDs(template.TypeStream) {
		if err := stream(ctx, c.Kinesis, tpl, id, vals.Name(id)); err != nil {
			return err
		}
	}
	for _, id := range tpl.LogicalIDs(template.TypeTable) {
		if err := table(ctx, c.DynamoDB, tpl, id, vals.Name(id)); err != nil {
			return err
		}
	}
	for _, id := range tpl.LogicalIDs(template.TypeQueue) {
		if err := queue(ctx, c, tpl, vals, id); err != nil {
			return err
		}
	}
	for _, id := range tpl.LogicalIDs(template.TypeSecret) {
		if err := secret(ctx, c.Secrets, tpl, vals, id); err != nil {
			return err
		}
	}
	log.Info("provisioned", "streams", len(tpl.LogicalIDs(template.TypeStream)),
		"tables", len(tpl.LogicalIDs(template.TypeTable)),
		"queues", len(tpl.LogicalIDs(template.TypeQueue)),
		"secrets", len(tpl.LogicalIDs(template.TypeSecret)), "took", time.Since(start))
	return nil
}

// stream creates one Kinesis stream and waits until it is active.
func stream(ctx context.Context, k *kinesis.Client, tpl *template.Template,
	id, name string) error {
	var p struct {
		ShardCount           int
		RetentionPeriodHours int
	}
	if err := tpl.Properties(id, &p); err != nil {
		return err
	}
	shards := p.ShardCount
	if shards <= 0 {
		shards = LocalShards
	}
	_, err := k.CreateStream(ctx, &kinesis.CreateStreamInput{
		StreamName: aws.String(name), ShardCount: aws.Int32(int32(shards))})
	var inUse *kintypes.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create stream %s: %w", name, err)
	}
	for {
		out, err := k.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{
			StreamName: aws.String(name)})
		if err != nil {
			return fmt.Errorf("describe stream %s: %w", name, err)
		}
		if out.StreamDescriptionSummary.StreamStatus == kintypes.StreamStatusActive {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for stream %s: %w", name, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// queue creates one SQS queue with the template's attributes and records its URL.
func queue(ctx context.Context, c Clients, tpl *template.Template, vals *template.Values,
	id string) error {
	var props map[string]any
	if err := tpl.Properties(id, &props); err != nil {
		return err
	}
	attrs := make(map[string]string)
	for k, v := range props {
		if k == "QueueName" || k == "Tags" {
			continue
		}
		s, err := queueAttr(vals, v)
		if err != nil {
			return fmt.Errorf("queue %s attribute %s: %w", id, k, err)
		}
		attrs[k] = s
	}
	name := vals.Name(id)
	if p, ok := vals.Get(id); ok && p.Attrs["QueueName"] != "" {
		name = p.Attrs["QueueName"]
	}
	out, err := c.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		return fmt.Errorf("create queue %s: %w", name, err)
	}
	qurl, err := rehost(aws.ToString(out.QueueUrl), c.Endpoint)
	if err != nil {
		return fmt.Errorf("queue %s url: %w", name, err)
	}
	vals.SetAttr(id, "Ref", qurl)
	vals.SetAttr(id, "QueueUrl", qurl)
	return nil
}

// queueAttr formats one queue property as an SQS attribute: numbers and booleans as
// text, objects (RedrivePolicy) as JSON with their intrinsics resolved.
func queueAttr(vals *template.Values, v any) (string, error) {
	r, err := vals.Resolve(v)
	if err != nil {
		return "", err
	}
	switch r := r.(type) {
	case string:
		return r, nil
	case float64:
		return strconv.FormatFloat(r, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(r), nil
	}
	return marshal(r)
}

// rehost replaces the host of a queue URL with the emulator's: kumo always answers
// localhost:4566 whatever port it listens on.
func rehost(queueURL, endpoint string) (string, error) {
	q, err := url.Parse(queueURL)
	if err != nil {
		return "", err
	}
	e, err := url.Parse(endpoint)
	if err != nil {
		return "", err
	}
	q.Scheme, q.Host = e.Scheme, e.Host
	return strings.TrimSuffix(q.String(), "/"), nil
}
