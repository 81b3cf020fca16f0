package main

import (
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsses"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

// Notification delivery (docs/notifications.md).
const (
	// notifyMaxAttempts is the notifier's MAX_ATTEMPTS and the queue's maxReceiveCount:
	// one first try plus one per step of the retry schedule.
	notifyMaxAttempts = 6
	// notifierTimeoutSeconds bounds one batch: 10 s per webhook, channels concurrent.
	notifierTimeoutSeconds = 60
	// notificationsVisibilitySeconds is at least 6 × the notifier's timeout plus the
	// batching window (AWS's rule for SQS event sources): 6 × 60 + 1 = 361.
	notificationsVisibilitySeconds = 420
	// notifierMaxConcurrency bounds the load on receivers and on SES's send rate.
	notifierMaxConcurrency = 5
)

// DefaultSenderEmail is the address alert emails come from when the CDK context
// "adpulse:senderEmail" is unset. Its SES identity must be verified before SES sends.
const DefaultSenderEmail = "alerts@adpulse.example"

// ruleRoutes are the routes of the rules function, all behind the authorizer.
var ruleRoutes = []route{
	{"POST", "v1/rules"}, {"GET", "v1/rules"},
	{"GET", "v1/rules/{id}"}, {"PUT", "v1/rules/{id}"},
	{"PATCH", "v1/rules/{id}"}, {"DELETE", "v1/rules/{id}"},
	{"GET", "v1/rules/{id}/deliveries"},
	{"POST", "v1/rules/{id}/channels/{n}/rotate-secret"},
}

// alerts holds the resources of alert rules and their notifications.
type alerts struct {
	table         awsdynamodb.Table // rules, evaluation states, channel claims, delivery log
	notifications awssqs.Queue
	dlq           awssqs.Queue
	sender        awsses.EmailIdentity
	rules         awslambda.Function
	notifier      awslambda.Function
}

// addAlerts creates the Rules table, the Notifications queue with its DLQ, the sender
// identity, the rules and notifier functions and the queue → notifier mapping, and lets
// aggregate evaluate rules on the stream and enqueue notifications.
func addAlerts(stack awscdk.Stack, st storage, assetDir func(string) string,
	origins []string, aggregate awslambda.Function) alerts {
	a := alerts{table: newTable(stack, "Rules", tableSpec{
		partitionKey: "pk", sortKey: "sk", ttl: true, removal: awscdk.RemovalPolicy_RETAIN,
	})}
	a.dlq = awssqs.NewQueue(stack, jsii.String("NotificationsDLQ"), &awssqs.QueueProps{
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		EnforceSSL:      jsii.Bool(true),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
	})
	a.notifications = awssqs.NewQueue(stack, jsii.String("Notifications"), &awssqs.QueueProps{
		RetentionPeriod:   awscdk.Duration_Days(jsii.Number(4)),
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(notificationsVisibilitySeconds)),
		EnforceSSL:        jsii.Bool(true),
		Encryption:        awssqs.QueueEncryption_SQS_MANAGED,
		DeadLetterQueue: &awssqs.DeadLetterQueue{
			Queue: a.dlq, MaxReceiveCount: jsii.Number(notifyMaxAttempts),
		},
	})
	sender := contextString(stack, "adpulse:senderEmail", DefaultSenderEmail)
	a.sender = awsses.NewEmailIdentity(stack, jsii.String("SenderIdentity"),
		&awsses.EmailIdentityProps{Identity: awsses.Identity_Email(jsii.String(sender))})

	cors := jsii.String(strings.Join(origins, ","))
	a.rules = newFunction(stack, assetDir, functionSpec{
		// "Rules" is the table's construct id.
		id: "RulesFunction", folder: "rules",
		memoryMB: 512,
		timeout:  awscdk.Duration_Seconds(jsii.Number(10)),
		env: map[string]*string{
			"RULES_TABLE":          a.table.TableName(),
			"CAMPAIGNS_TABLE":      st.campaigns.TableName(),
			"CORS_ALLOWED_ORIGINS": cors,
			"LOG_LEVEL":            jsii.String("info"),
		},
	})
	a.notifier = newFunction(stack, assetDir, functionSpec{
		id: "Notifier", folder: "notifier",
		memoryMB: 256,
		timeout:  awscdk.Duration_Seconds(jsii.Number(notifierTimeoutSeconds)),
		env: map[string]*string{
			"DELIVERIES_TABLE": a.table.TableName(),
			"SENDER_EMAIL":     jsii.String(sender),
			"QUEUE_URL":        a.notifications.QueueUrl(),
			"MAX_ATTEMPTS":     jsii.String(strconv.Itoa(notifyMaxAttempts)),
			"LOG_LEVEL":        jsii.String("info"),
		},
	})
	a.grant(stack, st, sender, aggregate)
	a.subscribeNotifier()

	// The stream evaluator in the aggregate function (shared/alerting).
	aggregate.AddEnvironment(jsii.String("RULES_TABLE"), a.table.TableName(), nil)
	aggregate.AddEnvironment(jsii.String("CAMPAIGNS_TABLE"), st.campaigns.TableName(), nil)
	aggregate.AddEnvironment(jsii.String("NOTIFICATIONS_QUEUE_URL"),
		a.notifications.QueueUrl(), nil)
	aggregate.AddEnvironment(jsii.String("LINK_BASE"),
		jsii.String(contextString(stack, "adpulse:consoleUrl", origins[0])), nil)

	addAlertOutputs(stack, a)
	return a
}

// grant gives the rules and notifier functions, and the evaluator in aggregate, the
// calls they make on the Rules table, the queue, the campaigns and SES.
func (a alerts) grant(stack awscdk.Stack, st storage, sender string,
	aggregate awslambda.Function) {
	// The rules API: rules, secrets rotation and the delivery log.
	allow(a.rules, a.table.TableArn(),
		"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:DeleteItem")
	allow(a.rules, st.campaigns.TableArn(), "dynamodb:GetItem")

	// The notifier claims channels, reads secrets, appends to the log; it sets the
	// visibility of a message it retries and sends mail only from the sender address.
	allow(a.notifier, a.table.TableArn(),
		"dynamodb:UpdateItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query")
	// GrantConsumeMessages includes sqs:ChangeMessageVisibility.
	a.notifications.GrantConsumeMessages(a.notifier)
	a.notifier.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("ses:SendEmail"),
		Resources: &[]*string{a.sender.EmailIdentityArn()},
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"ses:FromAddress": sender},
		},
	}))

	// The evaluator reads rules and states, claims transitions, reads campaigns (their
	// status, currency, budget and time zone; capping reads the time zones too).
	allow(aggregate, a.table.TableArn(), "dynamodb:Query", "dynamodb:GetItem",
		"dynamodb:PutItem")
	allow(aggregate, st.campaigns.TableArn(), "dynamodb:GetItem")
	a.notifications.GrantSendMessages(aggregate)
}

// subscribeNotifier feeds the Notifications queue to the notifier. Partial batch
// responses are required: without them one failed channel would retry every message
// of the batch.
func (a alerts) subscribeNotifier() {
	live(a.notifier).AddEventSource(awslambdaeventsources.NewSqsEventSource(a.notifications,
		&awslambdaeventsources.SqsEventSourceProps{
			BatchSize:               jsii.Number(10),
			MaxBatchingWindow:       awscdk.Duration_Seconds(jsii.Number(1)),
			ReportBatchItemFailures: jsii.Bool(true),
			MaxConcurrency:          jsii.Number(notifierMaxConcurrency),
		}))
}

// addAlertOutputs exports the names operators and the local stack read.
func addAlertOutputs(stack awscdk.Stack, a alerts) {
	outputs := []struct {
		id, description string
		value           *string
	}{
		{"RulesTableName", "DynamoDB table of alert rules, states and deliveries",
			a.table.TableName()},
		{"NotificationsQueueUrl", "SQS queue of notifications to deliver",
			a.notifications.QueueUrl()},
		{"NotificationsDLQUrl", "SQS queue of notifications given up after " +
			strconv.Itoa(notifyMaxAttempts) + " attempts", a.dlq.QueueUrl()},
	}
	for _, o := range outputs {
		awscdk.NewCfnOutput(stack, jsii.String(o.id), &awscdk.CfnOutputProps{
			Value: o.value, Description: jsii.String(o.description),
		})
	}
}
