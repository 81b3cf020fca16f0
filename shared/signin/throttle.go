package signin

import (
	"context"
	"fmt"
	"time"
)

// subject is one failure counter of a sign-in and the policy it follows.
type subject struct {
	name   string
	policy Policy
}

// checkThrottle returns a *ThrottledError when any subject must still wait; the longest
// wait wins.
func (s *Service) checkThrottle(ctx context.Context, subjects []subject,
	now time.Time) error {
	var worst *ThrottledError
	for _, sub := range subjects {
		f, err := s.Store.GetFailures(ctx, sub.name)
		if err != nil {
			return fmt.Errorf("sign in: %w", err)
		}
		until, locked := f.NextAt, false
		if f.LockedUntil > now.Unix() {
			until, locked = f.LockedUntil, true
		}
		if wait := time.Unix(until, 0).Sub(now); wait > 0 &&
			(worst == nil || wait > worst.RetryAfter) {
			worst = &ThrottledError{RetryAfter: wait, Locked: locked}
		}
	}
	if worst != nil {
		return worst
	}
	return nil
}

// recordFailure counts a failure for every subject and sets their next wait.
func (s *Service) recordFailure(ctx context.Context, subjects []subject,
	now time.Time) error {
	for _, sub := range subjects {
		f, err := s.Store.AddFailure(ctx, sub.name, now, sub.policy.Window)
		if err != nil {
			return fmt.Errorf("sign in: %w", err)
		}
		wait, locked := sub.policy.wait(f.Count)
		if wait == 0 {
			continue
		}
		until := now.Add(wait + time.Second - 1).Unix() // rounded up to whole seconds
		var lockedUntil int64
		if locked {
			lockedUntil = until
		}
		expires := max(until, now.Unix()) + int64(2*sub.policy.Window/time.Second)
		if err := s.Store.Throttle(ctx, sub.name, until, lockedUntil, expires); err != nil {
			return fmt.Errorf("sign in: %w", err)
		}
	}
	return nil
}
