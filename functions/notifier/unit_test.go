package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/adpulse/adpulse/shared/delivery"
	"github.com/adpulse/adpulse/shared/notify"
	"github.com/adpulse/adpulse/shared/rules"
)

// fakeSES answers with the planned errors in turn, then accepts.
type fakeSES struct {
	errs  []error
	calls int
}

func (f *fakeSES) SendEmail(context.Context, *sesv2.SendEmailInput,
	...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	f.calls++
	if f.calls <= len(f.errs) {
		return nil, f.errs[f.calls-1]
	}
	return &sesv2.SendEmailOutput{MessageId: aws.String("m-1")}, nil
}

func TestEmailSenderRetriesThrottling(t *testing.T) {
	throttle := &types.TooManyRequestsException{Message: aws.String("slow down")}
	tests := []struct {
		name      string
		errs      []error
		wantCalls int
		wantErr   bool
	}{
		{"accepted at once", nil, 1, false},
		{"throttled twice", []error{throttle, throttle}, 3, false},
		{"throttled past the limit", []error{throttle, throttle, throttle, throttle}, 4, true},
		{"other errors are not retried here", []error{errors.New("boom")}, 1, true},
	}
	ch := notify.Channel{Type: notify.ChannelEmail, To: []string{"a@b.c"}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ses := &fakeSES{errs: tc.errs}
			var slept []time.Duration
			s := &EmailSender{SES: ses, From: sender, Throttled: 3, ThrottleBackoff: time.Second,
				Sleep: func(_ context.Context, d time.Duration) error {
					slept = append(slept, d)
					return nil
				}}
			sent, err := s.Send(context.Background(), newNotification(ch), ch)
			if (err != nil) != tc.wantErr || ses.calls != tc.wantCalls {
				t.Fatalf("err %v, calls %d; want error %v, calls %d", err, ses.calls,
					tc.wantErr, tc.wantCalls)
			}
			if err == nil && sent.MessageID != "m-1" {
				t.Errorf("message id %q", sent.MessageID)
			}
			for i, d := range slept {
				if d != time.Second<<i {
					t.Errorf("backoff %d = %s, want %s", i, d, time.Second<<i)
				}
			}
		})
	}
}

func TestDelaySchedule(t *testing.T) {
	h := &Handler{Schedule: DefaultSchedule}
	tests := []struct {
		receives int
		jitter   float64
		want     time.Duration
	}{
		{1, 0.5, 5 * time.Second},
		{2, 0.5, 30 * time.Second},
		{5, 0.5, 30 * time.Minute},
		{9, 0.5, 30 * time.Minute},
		{1, 0, 4 * time.Second},
		{3, 0.999999, 144 * time.Second},
	}
	for _, tc := range tests {
		h.Jitter = func() float64 { return tc.jitter }
		got := h.delay(tc.receives).Round(time.Second)
		if got != tc.want {
			t.Errorf("delay(%d, jitter %v) = %s, want %s", tc.receives, tc.jitter, got, tc.want)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	base := map[string]string{"DELIVERIES_TABLE": "Rules", "SENDER_EMAIL": sender,
		"QUEUE_URL": "http://q"}
	tests := []struct {
		name    string
		env     map[string]string
		wantErr bool
		check   func(Config) bool
	}{
		{"defaults", nil, false, func(c Config) bool {
			return c.MaxAttempts == 6 && len(c.Schedule) == 5
		}},
		{"overrides", map[string]string{"MAX_ATTEMPTS": "3", "RETRY_SCHEDULE_SECONDS": "1, 2"},
			false, func(c Config) bool {
				return c.MaxAttempts == 3 && c.Schedule[1] == 2*time.Second
			}},
		{"missing table", map[string]string{"DELIVERIES_TABLE": ""}, true, nil},
		{"bad attempts", map[string]string{"MAX_ATTEMPTS": "0"}, true, nil},
		{"bad schedule", map[string]string{"RETRY_SCHEDULE_SECONDS": "5,x"}, true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := loadConfig(func(k string) string {
				if v, ok := tc.env[k]; ok {
					return v
				}
				return base[k]
			})
			if (err != nil) != tc.wantErr || (tc.check != nil && !tc.check(c)) {
				t.Errorf("loadConfig = %+v, %v", c, err)
			}
		})
	}
}

func TestClaimLeaseAndCrash(t *testing.T) {
	s := newStack(t, 6)
	store := &delivery.Store{DB: s.db, Table: s.table}
	ctx := context.Background()
	k := delivery.Key{TenantID: "t", NotificationID: "ntf_x", Channel: 0}
	now := time.Now()

	first, err := store.Claim(ctx, k, now, now.Add(time.Minute))
	if err != nil || first.Attempt != 1 {
		t.Fatalf("first claim = %+v, %v", first, err)
	}
	// A concurrent copy finds the lease held and does not send.
	busy, err := store.Claim(ctx, k, now, now.Add(time.Minute))
	if err != nil || busy.Attempt != 0 || busy.Status != delivery.Sending {
		t.Fatalf("concurrent claim = %+v, %v", busy, err)
	}
	// The holder crashed: after its lease a retry claims again (attempt 2) ...
	later := now.Add(2 * time.Minute)
	second, err := store.Claim(ctx, k, later, later.Add(time.Minute))
	if err != nil || second.Attempt != 2 {
		t.Fatalf("claim after the lease = %+v, %v", second, err)
	}
	// ... and the crashed holder's late release does not undo the new claim.
	if err := store.Release(ctx, k, 1, "late"); err != nil {
		t.Fatal(err)
	}
	if st, _ := store.State(ctx, k); st.Status != delivery.Sending {
		t.Fatalf("state after a stale release = %+v", st)
	}
	if err := store.MarkDelivered(ctx, k, later); err != nil {
		t.Fatal(err)
	}
	done, err := store.Claim(ctx, k, later.Add(time.Hour), later.Add(2*time.Hour))
	if err != nil || done.Attempt != 0 || done.Status != delivery.Delivered {
		t.Fatalf("claim after delivery = %+v, %v", done, err)
	}
}

func TestRuleSecrets(t *testing.T) {
	s := newStack(t, 6)
	ctx := context.Background()
	spec := rules.DefaultSpec()
	spec.Name = "r"
	spec.Channels = []rules.Channel{{Type: rules.Webhook, URL: "https://x.example/h",
		SecretID: "whs_1", Secrets: []rules.Secret{
			{Value: "whsec_bmV3", CreatedAt: time.Now()},
			{Value: "whsec_b2xk", ExpiresAt: time.Now().Add(time.Hour)},
			{Value: "whsec_ZXhwaXJlZA==", ExpiresAt: time.Now().Add(-time.Hour)}}}}
	r := rules.New("t_demo", "u", spec, time.Now())
	if err := s.rules.Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	src := &RuleSecrets{Rules: s.rules, Now: time.Now}
	n := &notify.Notification{TenantID: "t_demo", RuleID: r.ID}

	got, err := src.WebhookSecrets(ctx, n, notify.Channel{SecretIDs: []string{"whs_1"}})
	if err != nil || len(got) != 2 || got[0] != "whsec_bmV3" {
		t.Errorf("secrets = %v, %v; want the current and the rotating one", got, err)
	}
	var pe *PermanentError
	_, err = src.WebhookSecrets(ctx, n, notify.Channel{SecretIDs: []string{"gone"}})
	if !errors.As(err, &pe) {
		t.Errorf("unknown secret id: %v, want a permanent error", err)
	}
	n.RuleID = "deleted"
	_, err = src.WebhookSecrets(ctx, n, notify.Channel{SecretIDs: []string{"whs_1"}})
	if !errors.As(err, &pe) {
		t.Errorf("deleted rule: %v, want a permanent error", err)
	}
}
