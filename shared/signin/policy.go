package signin

import (
	"fmt"
	"time"
)

// Policy is when failed sign-ins of one subject slow down and lock.
type Policy struct {
	Window    time.Duration // the count resets after this long without a failure
	SlowAfter int           // from this many failures, each attempt waits
	LockAfter int           // at this many failures, the subject is locked
	LockFor   time.Duration
	BaseDelay time.Duration // the first wait; it doubles with each further failure
	MaxDelay  time.Duration // waits stop growing here, well inside Window
}

// AccountPolicy applies to an email: from 5 failures each attempt waits (1 s, 2 s, 4 s,
// ... up to 1 min), 10 lock it for 15 minutes; 15 quiet minutes reset the count.
var AccountPolicy = Policy{Window: 15 * time.Minute, SlowAfter: 5, LockAfter: 10,
	LockFor: 15 * time.Minute, BaseDelay: time.Second, MaxDelay: time.Minute}

// AddressPolicy applies to a source address. It is looser than the account's because many
// people can share one address (an office, a carrier NAT).
var AddressPolicy = Policy{Window: 15 * time.Minute, SlowAfter: 20, LockAfter: 50,
	LockFor: 15 * time.Minute, BaseDelay: time.Second, MaxDelay: time.Minute}

// wait returns how long a subject with count failures must wait, and whether it is a
// lock.
func (p Policy) wait(count int) (time.Duration, bool) {
	switch {
	case count >= p.LockAfter:
		return p.LockFor, true
	case count >= p.SlowAfter:
		d := p.BaseDelay << min(count-p.SlowAfter, 20)
		if p.MaxDelay > 0 {
			d = min(d, p.MaxDelay)
		}
		return min(d, p.LockFor), false
	}
	return 0, false
}

// ThrottledError says a sign-in was not attempted because of earlier failures.
type ThrottledError struct {
	RetryAfter time.Duration
	Locked     bool
}

// Error says how long the subject must wait.
func (e *ThrottledError) Error() string {
	if e.Locked {
		return fmt.Sprintf("sign-in locked for %s after repeated failures", e.RetryAfter)
	}
	return fmt.Sprintf("sign-in slowed down: retry after %s", e.RetryAfter)
}
