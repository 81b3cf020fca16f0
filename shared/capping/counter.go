package capping

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/adpulse/adpulse/shared/event"
	"github.com/adpulse/adpulse/shared/parallel"
)

// Impression is one claimed impression event, as the aggregate function hands it over.
type Impression struct {
	TenantID    string
	EventID     string
	Owner       string // the claim owner, "<shard>/<sequence>/<index>"
	Identifiers Identifiers
	CampaignID  string
	AdID        string
	OccurredAt  time.Time
}

// FromEvent makes the Impression of a claimed event; owner is its claim owner.
func FromEvent(tenant, owner string, e *event.Event) Impression {
	return Impression{TenantID: tenant, EventID: e.EventID, Owner: owner,
		Identifiers: Identifiers{UserID: e.UserID, DeviceID: e.DeviceID, LoginID: e.LoginID,
			HashedEmail: e.HashedEmail},
		CampaignID: e.CampaignID, AdID: e.AdID, OccurredAt: e.OccurredAt}
}

// Counter counts impressions against the caps, exactly once per (tenant, event id).
type Counter struct {
	Store       Store
	Configs     ConfigSource
	DedupWindow time.Duration // how long an event's "counted" mark lives; default 168 h
	Workers     int           // concurrent writes; default 16
	Now         func() time.Time
}

// CountResult is what Count did. Failed lists the indexes of the impressions that must
// be delivered again (a store error); every other impression is done.
type CountResult struct {
	Counted        int   // counted now
	AlreadyCounted int   // counted by an earlier delivery
	Uncapped       int   // nothing to count: the campaign and ad carry no cap
	Links          int   // identifier links written
	Writes         int   // store writes made (a transaction counts once)
	Failed         []int // indexes to deliver again
}

// Count counts a batch of claimed impressions. It first links the identifiers that
// events carry together with a deterministic one, then counts each capped impression
// under its person with one transaction that also writes the event's "counted" mark, so
// a retried, bisected or redelivered batch adds nothing twice. The error is the first
// failure, when Failed is not empty.
func (c *Counter) Count(ctx context.Context, imps []Impression) (CountResult, error) {
	var res CountResult
	fails := newFailures()
	now := c.now()

	// Which impressions count at all?
	cfgs := make([]*Config, len(imps))
	for i := range imps {
		cfg, err := c.Configs.Config(ctx, imps[i].TenantID, imps[i].CampaignID)
		if err != nil {
			fails.add(i, err)
			continue
		}
		cfgs[i] = cfg
	}

	// Resolve every identifier of the batch with one read per tenant.
	links, err := c.readLinks(ctx, imps)
	if err != nil {
		for i := range imps {
			fails.add(i, err)
		}
		return fails.result(res)
	}

	// Link identifiers seen with a deterministic one, then count.
	idents := make([]identity, len(imps))
	for i := range imps {
		keys := imps[i].Identifiers.keys()
		idents[i] = resolve(keys, links[imps[i].TenantID])
		n, err := c.link(ctx, &imps[i], keys, idents[i].person, links[imps[i].TenantID])
		res.Links += n
		res.Writes += n
		if err != nil {
			fails.add(i, err)
		}
	}
	skip := make([]bool, len(imps))
	for i := range imps {
		skip[i] = fails.has(i)
	}
	var mu sync.Mutex
	parallel.ForEach(c.workers(), len(imps), func(i int) {
		if skip[i] {
			return
		}
		outcome, err := c.countOne(ctx, &imps[i], cfgs[i], idents[i].person, now)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil:
			fails.add(i, err)
			res.Writes++
		case outcome == outcomeCounted:
			res.Counted++
			res.Writes++
		case outcome == outcomeDuplicate:
			res.AlreadyCounted++
			res.Writes++
		default:
			res.Uncapped++
		}
	})
	return fails.result(res)
}

type outcome int

const (
	outcomeUncapped outcome = iota
	outcomeCounted
	outcomeDuplicate
)

// countOne counts one impression under its person.
func (c *Counter) countOne(ctx context.Context, imp *Impression, cfg *Config, person string,
	now time.Time) (outcome, error) {
	if !cfg.Capped(imp.AdID) || person == "" {
		return outcomeUncapped, nil
	}
	inc := increment(imp, cfg, now)
	inc.MarkUntil = now.Add(c.dedupWindow())
	err := c.Store.Count(ctx, imp.TenantID, Ref{Key: person, Campaign: imp.CampaignID}, inc)
	if errors.Is(err, ErrAlreadyCounted) {
		return outcomeDuplicate, nil
	}
	if err != nil {
		return outcomeUncapped, err
	}
	return outcomeCounted, nil
}

// increment lists the buckets one impression adds to: one per capped window of the
// campaign and of the ad, in the campaign's time zone. Windows nobody caps are not
// counted, so impressions of uncapped campaigns cost nothing.
func increment(imp *Impression, cfg *Config, now time.Time) *Increment {
	inc := &Increment{EventID: imp.EventID, Owner: imp.Owner}
	var buf [160]byte
	add := func(ad string, caps []Cap) {
		scope := appendScope(buf[:0], ad)
		for i, cp := range caps {
			if seenWindow(caps[:i], cp.Window) {
				continue
			}
			inc.Add = append(inc.Add, string(appendBucket(scope, cp.Window, imp.OccurredAt,
				cfg.Location)))
			inc.Remove = staleBuckets(inc.Remove, scope, cp.Window, imp.OccurredAt, cfg.Location)
		}
	}
	add("", cfg.Caps)
	if imp.AdID != "" {
		add(imp.AdID, cfg.AdCaps[imp.AdID])
	}
	base := imp.OccurredAt
	if now.After(base) {
		base = now
	}
	inc.ExpiresAt = base.Add(ttlOf(cfg.Longest))
	return inc
}

func seenWindow(caps []Cap, w Window) bool {
	for _, c := range caps {
		if c.Window == w {
			return true
		}
	}
	return false
}

// readLinks reads the links of every identifier of the batch, one read per tenant.
func (c *Counter) readLinks(ctx context.Context,
	imps []Impression) (map[string]map[string]Link, error) {
	keys := map[string][]string{}
	seen := map[string]bool{}
	for i := range imps {
		t := imps[i].TenantID
		for _, k := range imps[i].Identifiers.keys() {
			if !seen[t+"#"+k] {
				seen[t+"#"+k] = true
				keys[t] = append(keys[t], k)
			}
		}
	}
	out := make(map[string]map[string]Link, len(keys))
	for t, ks := range keys {
		l, err := c.Store.Links(ctx, t, ks)
		if err != nil {
			return nil, err
		}
		out[t] = l
	}
	return out, nil
}

// link writes the links an impression calls for and records them in links, so later
// impressions of the batch see them. It returns how many it wrote.
func (c *Counter) link(ctx context.Context, imp *Impression, keys []string, person string,
	links map[string]Link) (int, error) {
	todo := linksToWrite(keys, person, links)
	if len(todo) == 0 {
		return 0, nil
	}
	root := links[person]
	n := 0
	for _, k := range todo {
		if len(root.Members) >= MaxMembers {
			break
		}
		if err := c.Store.AddLink(ctx, imp.TenantID, k, person, root.Members); err != nil {
			return n, err
		}
		n++
		root.Person = person
		root.Members = addMember(root.Members, k)
		links[k] = Link{Person: person, Members: root.Members}
	}
	links[person] = root
	return n, nil
}

func (c *Counter) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

func (c *Counter) dedupWindow() time.Duration {
	if c.DedupWindow <= 0 {
		return 168 * time.Hour
	}
	return c.DedupWindow
}

func (c *Counter) workers() int {
	if c.Workers <= 0 {
		return 16
	}
	return c.Workers
}

// failures collects failed indexes and the first error.
type failures struct {
	failed map[int]bool
	first  error
}

func newFailures() *failures { return &failures{failed: map[int]bool{}} }

func (f *failures) add(i int, err error) {
	if !f.failed[i] && f.first == nil {
		f.first = err
	}
	f.failed[i] = true
}

func (f *failures) has(i int) bool { return f.failed[i] }

func (f *failures) result(res CountResult) (CountResult, error) {
	for i := range f.failed {
		res.Failed = append(res.Failed, i)
	}
	slices.Sort(res.Failed)
	return res, f.first
}
