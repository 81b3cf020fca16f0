package devstack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/adpulse/adpulse/devstack/esm"
	"github.com/adpulse/adpulse/devstack/kumo"
	"github.com/adpulse/adpulse/devstack/provision"
	"github.com/adpulse/adpulse/devstack/template"
)

// LocalRetrySchedule is the notifier's RETRY_SCHEDULE_SECONDS on the local stack: the
// steps of the deployed schedule (5 s to 30 min) shortened so a demo sees retries.
const LocalRetrySchedule = "1,2,5,10,30"

// localEnv is what the local stack adds to the environment the template gives the
// function in folder. It is explicit local-only configuration that the CDK app never
// sets: the rules API and the notifier accept loopback webhook destinations (the demo
// receiver on 127.0.0.1; docs/rules.md, Destination policy), and the notifier retries
// sooner.
func localEnv(folder string) map[string]string {
	switch folder {
	case "rules":
		return map[string]string{"ALLOW_LOOPBACK_DESTINATIONS": "true"}
	case "notifier":
		return map[string]string{"ALLOW_LOOPBACK_DESTINATIONS": "true",
			"RETRY_SCHEDULE_SECONDS": LocalRetrySchedule}
	}
	return nil
}

// queueMappings are the running SQS event source mappings of a stack.
type queueMappings []*esm.QueueMapping

// close stops every queue mapping.
func (qs queueMappings) close() {
	for _, m := range qs {
		m.Close()
	}
}

// merge adds the queue mappings' state to p, for WaitSettled.
func (qs queueMappings) merge(p esm.Probe) esm.Probe {
	for _, m := range qs {
		p = p.Merge(m.Probe())
	}
	return p
}

// startQueueMapping starts the SQS event source mapping m of the template: batch size,
// batching window, partial batch responses and maximum concurrency as declared.
// Visibility timeouts, receive counts and the redrive to the dead-letter queue are the
// queue's own, applied by kumo from the attributes provisioning gave it.
func (s *Stack) startQueueMapping(ctx context.Context, m template.Mapping, q *sqs.Client) {
	var p struct {
		ScalingConfig struct{ MaximumConcurrency int }
	}
	_ = s.tpl.Properties(m.LogicalID, &p) // decoded before by Mappings
	qm := esm.NewQueue(esm.QueueConfig{
		FunctionName: s.vals.Name(m.FunctionID), QueueURL: s.vals.Name(m.SourceID),
		QueueARN: m.SourceARN, Region: template.Region, BatchSize: m.BatchSize,
		Window: m.Window, ReportItemErrors: m.ReportItemErrors,
		MaxConcurrency: p.ScalingConfig.MaximumConcurrency,
	}, q, s.runner, s.cfg.Log)
	qm.Start(ctx)
	s.queues = append(s.queues, qm)
}

// provisionEmail creates the template's SES email identities on kumo.
func (s *Stack) provisionEmail(ctx context.Context) error {
	names, err := provision.EmailIdentities(ctx,
		sesv2.NewFromConfig(kumo.Config(s.Endpoint())), s.tpl)
	if err != nil {
		return err
	}
	if len(names) > 0 {
		s.cfg.Log.Info("email identities", "identities", names)
	}
	return nil
}

// SentEmail is one email SES accepted, as kumo records it.
type SentEmail struct {
	MessageID   string `json:"MessageId"`
	From        string `json:"FromEmailAddress"`
	Destination struct {
		ToAddresses []string `json:"ToAddresses"`
	} `json:"Destination"`
	Subject string    `json:"Subject"`
	Body    string    `json:"Body"`
	SentAt  time.Time `json:"SentAt"`
}

// SentEmails returns every email kumo's SES accepted (GET /kumo/ses/v2/sent-emails).
func (s *Stack) SentEmails(ctx context.Context) ([]SentEmail, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		s.Endpoint()+"/kumo/ses/v2/sent-emails", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("sent emails: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("sent emails: kumo answered %s", resp.Status)
	}
	var out struct{ SentEmails []SentEmail }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("sent emails: %w", err)
	}
	return out.SentEmails, nil
}

// QueueStats returns the counters of every SQS event source mapping, summed.
func (s *Stack) QueueStats() esm.QueueStats {
	var st esm.QueueStats
	for _, m := range s.queues {
		c := m.Stats()
		st.Invocations += c.Invocations
		st.Messages += c.Messages
		st.Deleted += c.Deleted
		st.ItemFailures += c.ItemFailures
		st.BatchFailures += c.BatchFailures
	}
	return st
}
