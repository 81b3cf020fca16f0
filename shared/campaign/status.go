package campaign

import (
	"fmt"
	"strings"
)

// Status is where a campaign is in its life.
type Status string

// The statuses. A campaign starts as a draft; archived is final.
const (
	Draft     Status = "draft"
	Active    Status = "active"
	Paused    Status = "paused"
	Completed Status = "completed"
	Archived  Status = "archived"
)

// Statuses lists every status in life order.
var Statuses = []Status{Draft, Active, Paused, Completed, Archived}

var moves = map[Status][]Status{
	Draft:     {Active, Archived},
	Active:    {Paused, Completed, Archived},
	Paused:    {Active, Completed, Archived},
	Completed: {Archived},
	Archived:  {},
}

// Valid reports whether s is one of the statuses.
func (s Status) Valid() bool {
	_, ok := moves[s]
	return ok
}

// Moves returns the statuses a campaign in status s may move to.
func (s Status) Moves() []Status {
	return append([]Status(nil), moves[s]...)
}

// TransitionError is an illegal status move. Allowed lists the legal moves from From.
type TransitionError struct {
	From, To Status
	Allowed  []Status
}

// Error says which move was refused and which are allowed.
func (e *TransitionError) Error() string {
	names := make([]string, len(e.Allowed))
	for i, s := range e.Allowed {
		names[i] = string(s)
	}
	allowed := strings.Join(names, ", ")
	if allowed == "" {
		allowed = "none"
	}
	return fmt.Sprintf("cannot move a campaign from %s to %s; allowed: %s", e.From, e.To,
		allowed)
}

// Transition returns nil when a campaign may move from one status to the other, and a
// *TransitionError otherwise. Staying in the same status is not a move.
func Transition(from, to Status) error {
	for _, s := range moves[from] {
		if s == to {
			return nil
		}
	}
	return &TransitionError{From: from, To: to, Allowed: from.Moves()}
}
