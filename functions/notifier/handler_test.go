package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/adpulse/adpulse/shared/notify"
	"github.com/adpulse/adpulse/shared/rules"
	"github.com/adpulse/adpulse/shared/webhook"
)

func newSecret(t *testing.T) string {
	t.Helper()
	s, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func outcomes(log []rules.Delivery) []string {
	out := make([]string, len(log))
	for i, d := range log {
		out[i] = d.Outcome
	}
	return out
}

func TestWebhookFailingThreeTimesIsDeliveredOnce(t *testing.T) {
	allowLoopback(t, true)
	s := newStack(t, 6)
	secret := newSecret(t)
	rcv := &receiver{plan: []int{500, 502, 503}, secrets: []string{secret}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	h := s.handler(t, 6, staticSecrets{secret})

	n := newNotification(notify.Channel{Type: notify.ChannelWebhook, URL: srv.URL,
		SecretIDs: []string{"sec_1"}})
	s.send(t, n)
	for i := 0; i < 4; i++ {
		if got := s.invoke(t, h); got != 1 {
			t.Fatalf("invocation %d received %d messages, want 1", i+1, got)
		}
	}
	if got := s.invoke(t, h); got != 0 {
		t.Errorf("the delivered message came back (%d)", got)
	}

	if rcv.calls != 4 || len(rcv.accepted) != 1 || rcv.badSigs != 0 {
		t.Errorf("calls %d, accepted %d, bad signatures %d; want 4, 1, 0",
			rcv.calls, len(rcv.accepted), rcv.badSigs)
	}
	for _, id := range rcv.ids {
		if id != notify.DeliveryID(n.ID, 0) {
			t.Errorf("webhook-id %q, want %q on every attempt", id, notify.DeliveryID(n.ID, 0))
		}
	}
	if !strings.Contains(rcv.accepted[0], `"type":"rule.fired"`) ||
		strings.Contains(rcv.accepted[0], "secret") {
		t.Errorf("body = %s", rcv.accepted[0])
	}
	log := s.attempts(t, n.TenantID, n.RuleID)
	want := "retrying retrying retrying delivered"
	if got := strings.Join(outcomes(log), " "); got != want {
		t.Errorf("log outcomes %q, want %q", got, want)
	}
	if log[0].StatusCode != 500 || log[0].Attempt != 1 || log[3].Attempt != 4 {
		t.Errorf("log = %+v", log)
	}
}

func TestAlwaysFailingWebhookEndsInDLQ(t *testing.T) {
	allowLoopback(t, true)
	const max = 3
	s := newStack(t, max)
	rcv := &receiver{plan: []int{500, 500, 500, 500, 500}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	h := s.handler(t, max, staticSecrets{newSecret(t)})

	n := newNotification(notify.Channel{Type: notify.ChannelWebhook, URL: srv.URL,
		SecretIDs: []string{"sec_1"}})
	s.send(t, n)
	for i := 0; i < max; i++ {
		if got := s.invoke(t, h); got != 1 {
			t.Fatalf("invocation %d received %d messages, want 1", i+1, got)
		}
	}
	// The next receive finds the message over maxReceiveCount: SQS moves it to the DLQ.
	if got := s.invoke(t, h); got != 0 {
		t.Fatalf("message received %d more times after the last attempt", got)
	}
	if dlq := s.receive(t, s.dlqURL); len(dlq) != 1 || !strings.Contains(dlq[0].Body, n.ID) {
		t.Fatalf("dead-letter queue holds %d messages, want this one", len(dlq))
	}

	log := s.attempts(t, n.TenantID, n.RuleID)
	want := "retrying retrying dead_lettered"
	if got := strings.Join(outcomes(log), " "); got != want {
		t.Errorf("log outcomes %q, want %q", got, want)
	}
	if last := log[len(log)-1]; last.Error != "gave up after 3 attempts: status 500" {
		t.Errorf("last entry error %q", last.Error)
	}
	if rcv.calls != max {
		t.Errorf("endpoint called %d times, want %d", rcv.calls, max)
	}
}

func TestDuplicateDeliverySendsNothingTwice(t *testing.T) {
	allowLoopback(t, true)
	s := newStack(t, 6)
	secret := newSecret(t)
	rcv := &receiver{secrets: []string{secret}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	h := s.handler(t, 6, staticSecrets{secret})

	n := newNotification(
		notify.Channel{Type: notify.ChannelEmail, To: []string{"ops@example.com"}},
		notify.Channel{Type: notify.ChannelWebhook, URL: srv.URL, SecretIDs: []string{"s"}},
		notify.Channel{Type: notify.ChannelSlack, URL: srv.URL + "/slack"})
	s.send(t, n)
	s.send(t, n) // SQS delivers a copy
	for s.invoke(t, h) > 0 {
	}
	s.send(t, n) // and another one later
	for s.invoke(t, h) > 0 {
	}

	if rcv.calls != 2 { // one webhook, one Slack message
		t.Errorf("receiver called %d times, want 2", rcv.calls)
	}
	if got := len(s.sentEmails(t)); got != 1 {
		t.Errorf("SES accepted %d emails, want 1", got)
	}
	if got := strings.Join(outcomes(s.attempts(t, n.TenantID, n.RuleID)), " "); got !=
		"delivered delivered delivered" {
		t.Errorf("log outcomes %q", got)
	}
}

func TestFailingWebhookDoesNotResendEmail(t *testing.T) {
	allowLoopback(t, true)
	s := newStack(t, 6)
	rcv := &receiver{plan: []int{500, 500}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	h := s.handler(t, 6, staticSecrets{newSecret(t)})

	n := newNotification(
		notify.Channel{Type: notify.ChannelEmail, To: []string{"ops@example.com"}},
		notify.Channel{Type: notify.ChannelWebhook, URL: srv.URL, SecretIDs: []string{"s"}})
	s.send(t, n)
	for i := 0; i < 3; i++ {
		s.invoke(t, h)
	}

	if len(rcv.accepted) != 1 {
		t.Errorf("webhook accepted %d deliveries, want 1", len(rcv.accepted))
	}
	mails := s.sentEmails(t)
	if len(mails) != 1 {
		t.Fatalf("SES accepted %d emails, want 1", len(mails))
	}
	m := mails[0]
	if m.Subject != "Spend watch on Spring <b>sale</b>" ||
		m.Body != "Spend 5.12 CNY on Spring <b>sale</b>" ||
		m.HTMLBody != "<p>Spend <b>5.12 CNY</b> on Spring &lt;b&gt;sale&lt;/b&gt;</p>" ||
		m.Destination.ToAddresses[0] != "ops@example.com" || m.MessageID == "" {
		t.Errorf("email = %+v", m)
	}
}

func TestRefusedDestinations(t *testing.T) {
	tests := []struct {
		name     string
		loopback bool
		url      string // "" means a loopback server redirecting to target
		target   string
		want     string
		outcome  string
	}{
		{name: "metadata", url: "http://169.254.169.254/", want: "link-local",
			outcome: rules.OutcomeFailed},
		{name: "metadata IPv4-mapped", url: "http://[::ffff:169.254.169.254]/",
			want: "link-local", outcome: rules.OutcomeFailed},
		{name: "localhost", url: "http://localhost:8080/", want: "loopback",
			outcome: rules.OutcomeFailed},
		{name: "file", url: "file:///etc/passwd", want: "scheme must be https or http",
			outcome: rules.OutcomeFailed},
		{name: "redirect to metadata", loopback: true,
			target: "http://169.254.169.254/latest/meta-data/",
			want:   "redirects are not followed", outcome: rules.OutcomeRetrying},
		{name: "redirect to localhost", loopback: true, target: "http://localhost:8080/",
			want: "redirects are not followed", outcome: rules.OutcomeRetrying},
		{name: "redirect to file", loopback: true, target: "file:///etc/passwd",
			want: "redirects are not followed", outcome: rules.OutcomeRetrying},
	}
	s := newStack(t, 6)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			allowLoopback(t, tc.loopback)
			url := tc.url
			if url == "" {
				srv := httptest.NewServer(http.RedirectHandler(tc.target, http.StatusFound))
				defer srv.Close()
				url = srv.URL
			}
			n := newNotification(
				notify.Channel{Type: notify.ChannelWebhook, URL: url, SecretIDs: []string{"s"}})
			s.send(t, n)
			s.invoke(t, s.handler(t, 6, staticSecrets{newSecret(t)}))

			log := s.attempts(t, n.TenantID, n.RuleID)
			if len(log) != 1 || log[0].Outcome != tc.outcome ||
				!strings.Contains(log[0].Error, tc.want) {
				t.Fatalf("log = %+v, want one %s entry saying %q", log, tc.outcome, tc.want)
			}
			if tc.outcome == rules.OutcomeFailed &&
				!strings.HasPrefix(log[0].Error, "gave up after 1 attempts: destination refused") {
				t.Errorf("error %q does not say it gave up on a refused destination",
					log[0].Error)
			}
			for s.invoke(t, s.handler(t, 6, staticSecrets{newSecret(t)})) > 0 {
				// drain the retried ones so the next case starts on an empty queue
			}
		})
	}
}
