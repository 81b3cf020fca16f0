package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/adpulse/adpulse/shared/campaign"
)

// Phase is where a (rule, campaign) pair is in its alert cycle.
type Phase string

// The phases. The zero State (empty phase) is OK.
const (
	OK      Phase = "ok"      // armed: the conditions do not hold
	Pending Phase = "pending" // the conditions hold; waiting for "for" or the cooldown
	Firing  Phase = "firing"  // notified; waits for the conditions to stop holding
)

// State is the evaluation state of one rule for one campaign.
type State struct {
	Phase       Phase     `json:"phase"`
	Since       time.Time `json:"since"`         // when the phase began (UTC)
	LastFiredAt time.Time `json:"last_fired_at"` // zero before the first firing
	Episode     int64     `json:"episode"`       // firings so far; names the notification
	Version     int64     `json:"version"`       // 0: never stored; set by the store
}

// Equal reports whether two states are the same, versions aside: when Step returns a
// state Equal to its input, there is nothing to store.
func (s State) Equal(o State) bool {
	return s.phase() == o.phase() && s.Since.Equal(o.Since) &&
		s.LastFiredAt.Equal(o.LastFiredAt) && s.Episode == o.Episode
}

func (s State) phase() Phase {
	if s.Phase == "" {
		return OK
	}
	return s.Phase
}

// Action is what a step asks the caller to send.
type Action string

// The actions.
const (
	None    Action = ""
	Fire    Action = "fire"    // send the episode's notification
	Resolve Action = "resolve" // send the episode's resolved notice
)

// Step moves the state machine by one evaluation whose verdict is holds:
//
//   - ok, holds: the rule goes pending; it fires at once when ForSeconds is 0, or once
//     the conditions have held ForSeconds (measured at the next evaluations);
//   - pending or ok, holds, but within CooldownSeconds of the last firing: it stays
//     pending and fires at the first evaluation after the cooldown if still holding;
//   - firing, holds: nothing (edge-triggered: one notification per crossing);
//   - pending, not holding: back to ok (the "for" clock restarts);
//   - firing, not holding: re-armed (ok), with a Resolve action if NotifyResolved.
//
// A firing increments Episode and sets LastFiredAt. Step is pure; the caller stores
// the next state with ClaimTransition and sends only if that claim succeeds.
func Step(r *Rule, st State, holds bool, now time.Time) (State, Action) {
	now = now.UTC()
	next := st
	next.Phase = st.phase()
	switch {
	case !holds && next.Phase == Firing:
		next.Phase, next.Since = OK, now
		if r.NotifyResolved {
			return next, Resolve
		}
		return next, None
	case !holds:
		if next.Phase == Pending {
			next.Phase, next.Since = OK, now
		}
		return next, None
	case next.Phase == Firing:
		return next, None
	}

	if next.Phase == OK {
		next.Phase, next.Since = Pending, now
	}
	if now.Sub(next.Since) < r.For() {
		return next, None
	}
	if !st.LastFiredAt.IsZero() && now.Before(st.LastFiredAt.Add(r.Cooldown())) {
		return next, None
	}
	next.Phase, next.Since, next.LastFiredAt = Firing, now, now
	next.Episode++
	return next, Fire
}

// Muted reports whether a campaign status silences its rules: paused and archived
// campaigns send nothing.
func Muted(s campaign.Status) bool {
	return s == campaign.Paused || s == campaign.Archived
}

// Evaluate is one evaluation of a rule on a campaign's snapshot: Holds, then Step. A
// disabled rule or a muted campaign (Muted) sends nothing and its state does not move,
// except that a pending state falls back to ok, so that nothing fires the moment the
// campaign resumes without the conditions holding (and "for" holding) again.
func Evaluate(r *Rule, st State, s *Snapshot, now time.Time) (State, Action) {
	if !r.Enabled || Muted(s.CampaignStatus) {
		st.Phase = st.phase()
		if st.Phase == Pending {
			st.Phase, st.Since = OK, now.UTC()
		}
		return st, None
	}
	return Step(r, st, Holds(r, s), now)
}

// NotificationID is the stable id of the notification an action sends: the same
// (tenant, rule, campaign, episode, action) always gives the same id, so a retried
// evaluation, a redelivered batch or a resent message carries the same id and a
// receiver (and the notifier) can drop duplicates. Fire and Resolve of one episode
// have different ids.
func NotificationID(tenant, ruleID, campaignID string, episode int64, a Action) string {
	h := sha256.New()
	for _, part := range []string{tenant, ruleID, campaignID,
		strconv.FormatInt(episode, 10), string(a)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return "ntf_" + hex.EncodeToString(h.Sum(nil)[:16])
}
