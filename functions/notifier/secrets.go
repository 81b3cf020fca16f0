package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/adpulse/adpulse/shared/notify"
	"github.com/adpulse/adpulse/shared/rules"
)

// RuleReader reads a rule with its secrets; *rules.Store implements it.
type RuleReader interface {
	Get(ctx context.Context, tenant, id string) (rules.Rule, error)
}

// RuleSecrets finds a webhook channel's signing secrets in the stored rule, by the
// channel's secret id (not its position, which an edit may have changed).
type RuleSecrets struct {
	Rules RuleReader
	Now   func() time.Time
}

// WebhookSecrets returns the secrets valid now, newest first. A rule or channel that no
// longer exists is a permanent failure: the tenant removed the destination.
func (s *RuleSecrets) WebhookSecrets(ctx context.Context, n *notify.Notification,
	ch notify.Channel) ([]string, error) {
	r, err := s.Rules.Get(ctx, n.TenantID, n.RuleID)
	if errors.Is(err, rules.ErrNotFound) {
		return nil, &PermanentError{fmt.Errorf("rule %s no longer exists", n.RuleID)}
	}
	if err != nil {
		return nil, err
	}
	for _, rc := range r.Channels {
		if rc.Type == rules.Webhook && slices.Contains(ch.SecretIDs, rc.SecretID) {
			if secrets := rc.SigningSecrets(s.Now()); len(secrets) > 0 {
				return secrets, nil
			}
		}
	}
	return nil, &PermanentError{fmt.Errorf("webhook channel %d: its signing secret no "+
		"longer exists on rule %s", ch.Index, n.RuleID)}
}
