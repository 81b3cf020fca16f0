package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/adpulse/adpulse/shared/delivery"
	"github.com/adpulse/adpulse/shared/kumotest"
	"github.com/adpulse/adpulse/shared/logging"
	"github.com/adpulse/adpulse/shared/netguard"
	"github.com/adpulse/adpulse/shared/notify"
	"github.com/adpulse/adpulse/shared/rules"
	"github.com/adpulse/adpulse/shared/webhook"
)

const sender = "alerts@adpulse.test"

// stack is one kumo with the notifier's table, queue, dead-letter queue and SES identity.
type stack struct {
	endpoint         string
	db               *dynamodb.Client
	sqs              *sqs.Client
	ses              *sesv2.Client
	table            string
	queueURL, dlqURL string
	rules            *rules.Store
}

func newStack(t *testing.T, maxReceives int) *stack {
	t.Helper()
	cfg := kumotest.Start(t)
	ctx := context.Background()
	s := &stack{endpoint: aws.ToString(cfg.BaseEndpoint), db: dynamodb.NewFromConfig(cfg),
		sqs: sqs.NewFromConfig(cfg), ses: sesv2.NewFromConfig(cfg), table: "Rules"}
	s.rules = rules.NewStore(s.db, s.table)

	_, err := s.db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(s.table), BillingMode: dbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []dbtypes.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: dbtypes.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: dbtypes.ScalarAttributeTypeS}},
		KeySchema: []dbtypes.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: dbtypes.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: dbtypes.KeyTypeRange}},
	})
	if err != nil {
		t.Fatalf("create table: %v", err)
	}

	dlq, err := s.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: aws.String("NotificationsDLQ")})
	if err != nil {
		t.Fatalf("create dlq: %v", err)
	}
	s.dlqURL = aws.ToString(dlq.QueueUrl)
	attrs, err := s.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: dlq.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})
	if err != nil {
		t.Fatalf("dlq arn: %v", err)
	}
	redrive := fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"%d"}`,
		attrs.Attributes["QueueArn"], maxReceives)
	q, err := s.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName:  aws.String("Notifications"),
		Attributes: map[string]string{"RedrivePolicy": redrive, "VisibilityTimeout": "60"}})
	if err != nil {
		t.Fatalf("create queue: %v", err)
	}
	s.queueURL = aws.ToString(q.QueueUrl)

	_, err = s.ses.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{
		EmailIdentity: aws.String(sender)})
	if err != nil {
		t.Fatalf("create email identity: %v", err)
	}
	return s
}

// handler builds the notifier on the stack with an immediate retry schedule.
func (s *stack) handler(t *testing.T, maxAttempts int, secrets SecretSource) *Handler {
	t.Helper()
	client := webhook.NewClient(webhook.Options{})
	return &Handler{
		Log:      logging.NewWriter(io.Discard, "error"),
		States:   &delivery.Store{DB: s.db, Table: s.table},
		Attempts: s.rules,
		Queue:    s.sqs, QueueURL: s.queueURL,
		Senders: map[notify.ChannelType]Sender{
			notify.ChannelEmail: &EmailSender{SES: s.ses, From: sender, Sleep: sleep},
			notify.ChannelWebhook: &WebhookSender{Client: client, Secrets: secrets,
				Now: time.Now},
			notify.ChannelSlack: &SlackSender{Client: client},
		},
		MaxAttempts: maxAttempts,
		Schedule:    []time.Duration{0},
		Now:         time.Now,
		Jitter:      func() float64 { return 0.5 },
	}
}

// send puts the notification on the queue.
func (s *stack) send(t *testing.T, n *notify.Notification) {
	t.Helper()
	body, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.sqs.SendMessage(context.Background(), &sqs.SendMessageInput{
		QueueUrl: aws.String(s.queueURL), MessageBody: aws.String(string(body))})
	if err != nil {
		t.Fatalf("send message: %v", err)
	}
}

// receive takes up to 10 messages from a queue, as the event source mapping would.
func (s *stack) receive(t *testing.T, queueURL string) []events.SQSMessage {
	t.Helper()
	out, err := s.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{
			sqstypes.MessageSystemAttributeNameApproximateReceiveCount},
	})
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	msgs := make([]events.SQSMessage, len(out.Messages))
	for i, m := range out.Messages {
		msgs[i] = events.SQSMessage{MessageId: aws.ToString(m.MessageId),
			ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body),
			Attributes: map[string]string{"ApproximateReceiveCount": m.Attributes[string(
				sqstypes.MessageSystemAttributeNameApproximateReceiveCount)]}}
	}
	return msgs
}

// invoke runs one poll of the event source mapping: receive, call the handler, delete
// the messages it did not report as failures. It returns how many it received.
func (s *stack) invoke(t *testing.T, h *Handler) int {
	t.Helper()
	msgs := s.receive(t, s.queueURL)
	if len(msgs) == 0 {
		return 0
	}
	resp, err := h.Handle(context.Background(), events.SQSEvent{Records: msgs})
	if err != nil {
		t.Fatalf("handle: %v", err)
	}
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	for _, m := range msgs {
		if failed[m.MessageId] {
			continue
		}
		_, err := s.sqs.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{
			QueueUrl: aws.String(s.queueURL), ReceiptHandle: aws.String(m.ReceiptHandle)})
		if err != nil {
			t.Fatalf("delete: %v", err)
		}
	}
	return len(msgs)
}

// attempts returns the rule's delivery log, oldest first.
func (s *stack) attempts(t *testing.T, tenant, rule string) []rules.Delivery {
	t.Helper()
	items, _, err := s.rules.Deliveries(context.Background(), tenant, rule, 100, "")
	if err != nil {
		t.Fatalf("deliveries: %v", err)
	}
	for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
		items[i], items[j] = items[j], items[i]
	}
	return items
}

// sentEmail is one mail kumo's SES accepted.
type sentEmail struct {
	MessageID   string `json:"MessageId"`
	Subject     string
	Body        string
	HTMLBody    string
	Destination struct{ ToAddresses []string }
}

func (s *stack) sentEmails(t *testing.T) []sentEmail {
	t.Helper()
	resp, err := http.Get(s.endpoint + "/kumo/ses/v2/sent-emails")
	if err != nil {
		t.Fatalf("sent emails: %v", err)
	}
	defer resp.Body.Close()
	var out struct{ SentEmails []sentEmail }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decode sent emails: %v", err)
	}
	return out.SentEmails
}

// staticSecrets gives every webhook channel the same secrets.
type staticSecrets []string

func (s staticSecrets) WebhookSecrets(context.Context, *notify.Notification,
	notify.Channel) ([]string, error) {
	return s, nil
}

// receiver is a webhook endpoint that answers the planned statuses in turn (200 after
// the plan runs out) and keeps what it accepted, with its signature check.
type receiver struct {
	mu       sync.Mutex
	plan     []int
	calls    int
	ids      []string
	accepted []string // bodies answered 2xx
	badSigs  int
	secrets  []string
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	r.ids = append(r.ids, req.Header.Get(webhook.HeaderID))
	if err := webhook.Verify(req.Header, body, time.Now(), r.secrets...); err != nil {
		r.badSigs++
	}
	status := http.StatusOK
	if r.calls <= len(r.plan) {
		status = r.plan[r.calls-1]
	}
	if status < 300 {
		r.accepted = append(r.accepted, string(bytes.TrimSpace(body)))
	}
	w.WriteHeader(status)
}

func allowLoopback(t *testing.T, on bool) {
	t.Helper()
	netguard.SetAllowLoopback(on)
	t.Cleanup(func() { netguard.SetAllowLoopback(false) })
}

var seq int

// newNotification makes a fire notification with the given channels.
func newNotification(channels ...notify.Channel) *notify.Notification {
	seq++
	for i := range channels {
		channels[i].Index = i
	}
	return &notify.Notification{
		Version: notify.Version, ID: "ntf_test" + strconv.Itoa(seq), Kind: notify.KindFire,
		Episode: 1, TenantID: "t_demo", RuleID: "r" + strconv.Itoa(seq),
		RuleName: "Spend watch", CampaignID: "2821", CampaignName: "Spring <b>sale</b>",
		Currency: "CNY", Values: map[string]float64{"spend": 5_120_000, "ctr": 0.0125},
		Conditions: "spend >= 5 CNY", FiredAt: time.Now().UTC().Truncate(time.Millisecond),
		Link: "http://127.0.0.1:3000/rules/r1", Channels: channels,
		Template: notify.Template{Subject: "{{rule_name}} on {{campaign_name}}",
			Text: "Spend {{metric.spend}} on {{campaign_name}}",
			HTML: "<p>Spend <b>{{metric.spend}}</b> on {{campaign_name}}</p>"},
	}
}
