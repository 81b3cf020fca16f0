package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/adpulse/adpulse/shared/delivery"
	"github.com/adpulse/adpulse/shared/notify"
	"github.com/adpulse/adpulse/shared/rules"
	"github.com/adpulse/adpulse/shared/webhook"
)

// Sender delivers a notification on one type of channel.
type Sender interface {
	Send(ctx context.Context, n *notify.Notification, ch notify.Channel) (Sent, error)
}

// Sent is what the far side answered to a delivery that it accepted.
type Sent struct {
	StatusCode int    // HTTP status of a webhook or Slack receiver
	MessageID  string // SES message id of an email
}

// PermanentError is a failure that no retry can mend (a refused destination, a channel
// without a sender). The channel gives up at once.
type PermanentError struct{ Err error }

// Error returns the underlying error's text.
func (e *PermanentError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *PermanentError) Unwrap() error { return e.Err }

// channelState is where one channel stands after this invocation.
type channelState int

const (
	chDelivered channelState = iota // sent now
	chAlready                       // delivered before: nothing sent
	chBusy                          // another invocation holds the claim
	chFailed                        // this attempt failed; retry (or the DLQ if final)
	chGaveUp                        // failed for good; the message need not come back
)

type channelResult struct {
	state channelState
	err   string
}

// channel claims, sends, records and settles one channel of a notification.
func (h *Handler) channel(ctx context.Context, n *notify.Notification, ch notify.Channel,
	receives int, final bool) channelResult {
	k := delivery.Key{TenantID: n.TenantID, NotificationID: n.ID, Channel: ch.Index}
	log := h.Log.With("notificationId", n.ID, "channel", ch.Index, "type", ch.Type)

	// Claim the channel: a delivered one is skipped, one held elsewhere waits.
	claim, err := h.States.Claim(ctx, k, h.Now(), h.leaseUntil(ctx))
	if err != nil {
		log.WarnContext(ctx, "claim failed", "err", err)
		return channelResult{state: chFailed, err: err.Error()}
	}
	if claim.Attempt == 0 {
		if claim.Status == delivery.Delivered {
			log.DebugContext(ctx, "already delivered")
			return channelResult{state: chAlready}
		}
		return channelResult{state: chBusy, err: "claimed by another invocation until " +
			claim.LeaseUntil.UTC().Format(time.RFC3339)}
	}

	// Send, then settle the state before recording the attempt: the state is what keeps
	// the next copy of the message from sending again.
	start := h.Now()
	sent, err := h.send(ctx, n, ch)
	entry := rules.Delivery{NotificationID: n.ID, RuleID: n.RuleID, CampaignID: n.CampaignID,
		Kind: rules.KindAttempt, Episode: n.Episode, Channel: ch.Index,
		ChannelType: rules.ChannelType(ch.Type), Attempt: claim.Attempt,
		StatusCode: sent.StatusCode, At: start}
	if err == nil {
		if err := h.States.MarkDelivered(ctx, k, h.Now()); err != nil {
			// Sent but not marked: a later copy may send once more (see the docs).
			log.ErrorContext(ctx, "mark delivered failed", "err", err)
		}
		entry.Outcome = rules.OutcomeDelivered
		h.record(ctx, log, n, entry)
		log.DebugContext(ctx, "delivered", "attempt", claim.Attempt,
			"ms", h.Now().Sub(start).Milliseconds())
		return channelResult{state: chDelivered}
	}

	// Failed: give up when no retry can help or none is left, else release the claim.
	entry.Error = fmt.Sprintf("%s (after %d ms)", err, h.Now().Sub(start).Milliseconds())
	var se *webhook.SendError
	if errors.As(err, &se) && se.StatusCode != 0 {
		entry.StatusCode = se.StatusCode
	}
	var pe *PermanentError
	permanent := errors.As(err, &pe) || (se != nil && se.Permanent)
	result := channelResult{state: chFailed, err: err.Error()}
	switch {
	case permanent || final:
		reason := fmt.Sprintf("gave up after %d attempts: %s", claim.Attempt, err)
		entry.Outcome, entry.Error = rules.OutcomeDLQ, reason
		result = channelResult{state: chFailed, err: reason}
		if permanent {
			entry.Outcome = rules.OutcomeFailed
			result.state = chGaveUp
		}
		if err := h.States.GiveUp(ctx, k, claim.Attempt, reason); err != nil {
			log.WarnContext(ctx, "record give-up failed", "err", err)
		}
		log.WarnContext(ctx, "channel gave up", "reason", reason, "receives", receives)
	default:
		entry.Outcome = rules.OutcomeRetrying
		if errors.Is(err, webhook.ErrCircuitOpen) {
			entry.Outcome = rules.OutcomeSkipped
		}
		if err := h.States.Release(ctx, k, claim.Attempt, err.Error()); err != nil {
			log.WarnContext(ctx, "release failed; the claim expires instead", "err", err)
		}
	}
	h.record(ctx, log, n, entry)
	return result
}

// send hands the channel to the sender of its type.
func (h *Handler) send(ctx context.Context, n *notify.Notification,
	ch notify.Channel) (Sent, error) {
	s, ok := h.Senders[ch.Type]
	if !ok {
		return Sent{}, &PermanentError{fmt.Errorf("no sender for channel type %q", ch.Type)}
	}
	return s.Send(ctx, n, ch)
}

// record appends an attempt to the rule's delivery log; a failure to write it is logged
// and does not fail the delivery.
func (h *Handler) record(ctx context.Context, log *slog.Logger, n *notify.Notification,
	d rules.Delivery) {
	if err := h.Attempts.AppendDelivery(ctx, n.TenantID, d); err != nil {
		log.WarnContext(ctx, "record attempt failed", "err", err)
	}
}
