package capping

import (
	"context"
	"errors"
	"time"
)

// Ref names one counter item: the counters of one identifier key (a person, or an
// identifier counted before it was linked) for one campaign. The item holds the
// campaign's and all its ads' buckets as attributes, so a decision reads one item per
// (key, campaign) whatever the number of caps and ads.
type Ref struct {
	Key      string
	Campaign string
}

// Counts are the bucket counters of one item, by attribute name ("c|d20260315",
// "a|<ad>|m178000000").
type Counts map[string]int64

// Increment is what one impression adds to one counter item.
type Increment struct {
	EventID   string    // the impression's event id; counted at most once per tenant
	Owner     string    // the stream record that claimed it, kept for diagnosis
	Add       []string  // bucket attributes to add 1 to
	Remove    []string  // stale bucket attributes to drop
	ExpiresAt time.Time // the item's new expiry
	MarkUntil time.Time // how long the "counted" mark of the event lives
}

// ErrAlreadyCounted means the impression was counted before; nothing changed.
var ErrAlreadyCounted = errors.New("impression already counted")

// Store keeps identifier links and counters. Every method is one round trip (or parallel
// round trips) to the store.
type Store interface {
	// Links reads the links of identifier keys; keys without a link are absent.
	Links(ctx context.Context, tenant string, keys []string) (map[string]Link, error)
	// AddLink links key to person, unless key is linked already (the first link wins),
	// adds key to the members of the person and of every member listed. Idempotent.
	AddLink(ctx context.Context, tenant, key, person string, members []string) error
	// Counters reads counter items; items that do not exist are absent.
	Counters(ctx context.Context, tenant string, refs []Ref) (map[Ref]Counts, error)
	// Count applies an increment atomically with the event's "counted" mark, or returns
	// ErrAlreadyCounted when the mark exists.
	Count(ctx context.Context, tenant string, ref Ref, inc *Increment) error
}
