package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"

	"github.com/adpulse/adpulse/shared/notify"
	"github.com/adpulse/adpulse/shared/webhook"
)

// Mailer is the part of the SES v2 client the email sender uses.
type Mailer interface {
	SendEmail(context.Context, *sesv2.SendEmailInput,
		...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// EmailSender sends a channel's email through SES v2, text and HTML parts.
type EmailSender struct {
	SES  Mailer
	From string
	// Throttled is how many times a throttled send is tried again, with exponential
	// backoff from ThrottleBackoff (on top of the SDK's own retries).
	Throttled       int
	ThrottleBackoff time.Duration
	Sleep           func(context.Context, time.Duration) error
}

// Send renders the template and sends one email to the channel's recipients. It counts
// as delivered only when SES accepted it and returned a message id.
func (s *EmailSender) Send(ctx context.Context, n *notify.Notification,
	ch notify.Channel) (Sent, error) {
	msg := notify.Render(n.Template, n)
	utf8 := aws.String("UTF-8")
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(s.From),
		Destination:      &types.Destination{ToAddresses: ch.To},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(msg.Subject), Charset: utf8},
			Body: &types.Body{
				Text: &types.Content{Data: aws.String(msg.Text), Charset: utf8},
				Html: &types.Content{Data: aws.String(msg.HTML), Charset: utf8},
			},
		}},
	}
	backoff := s.ThrottleBackoff
	for try := 0; ; try++ {
		out, err := s.SES.SendEmail(ctx, in)
		if err == nil {
			if aws.ToString(out.MessageId) == "" {
				return Sent{}, errors.New("ses accepted no message id")
			}
			return Sent{MessageID: aws.ToString(out.MessageId)}, nil
		}
		if !throttled(err) || try >= s.Throttled {
			return Sent{}, fmt.Errorf("ses send email: %w", err)
		}
		if err := s.Sleep(ctx, backoff); err != nil {
			return Sent{}, fmt.Errorf("ses send email: throttled, then %w", err)
		}
		backoff *= 2
	}
}

// throttled reports whether SES asked to slow down.
func throttled(err error) bool {
	var tooMany *types.TooManyRequestsException
	if errors.As(err, &tooMany) {
		return true
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "Throttling", "ThrottlingException", "TooManyRequestsException":
			return true
		}
	}
	return false
}

// Poster posts to tenant endpoints under the destination policy; *webhook.Client is one.
type Poster interface {
	Post(ctx context.Context, rawURL string, body []byte,
		header http.Header) (webhook.Response, error)
}

// SecretSource returns the signing secrets of a webhook channel, newest first; two
// while a rotation runs.
type SecretSource interface {
	WebhookSecrets(ctx context.Context, n *notify.Notification,
		ch notify.Channel) ([]string, error)
}

// WebhookSender posts the notification as a signed Standard Webhooks delivery.
type WebhookSender struct {
	Client  Poster
	Secrets SecretSource
	Now     func() time.Time
}

// Send signs and posts the notification. The webhook-id is the same on every attempt
// (notification id and channel index), the timestamp is the attempt's.
func (s *WebhookSender) Send(ctx context.Context, n *notify.Notification,
	ch notify.Channel) (Sent, error) {
	body, err := notify.WebhookBody(n)
	if err != nil {
		return Sent{}, &PermanentError{err}
	}
	secrets, err := s.Secrets.WebhookSecrets(ctx, n, ch)
	if err != nil {
		return Sent{}, fmt.Errorf("webhook secrets: %w", err)
	}
	h := http.Header{}
	id := notify.DeliveryID(n.ID, ch.Index)
	if err := webhook.SetHeaders(h, id, s.Now(), body, secrets...); err != nil {
		return Sent{}, &PermanentError{fmt.Errorf("sign webhook: %w", err)}
	}
	resp, err := s.Client.Post(ctx, ch.URL, body, h)
	return Sent{StatusCode: resp.StatusCode}, err
}

// SlackSender posts the rendered text to a Slack incoming webhook.
type SlackSender struct {
	Client Poster
}

// Send posts {"text": <rendered text, escaped for Slack>}.
func (s *SlackSender) Send(ctx context.Context, n *notify.Notification,
	ch notify.Channel) (Sent, error) {
	body, err := json.Marshal(map[string]string{"text": notify.Render(n.Template, n).Slack})
	if err != nil {
		return Sent{}, &PermanentError{fmt.Errorf("encode slack message: %w", err)}
	}
	resp, err := s.Client.Post(ctx, ch.URL, body, nil)
	return Sent{StatusCode: resp.StatusCode}, err
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
