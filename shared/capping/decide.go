package capping

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/adpulse/adpulse/shared/httpapi"
)

// MaxCandidates bounds the candidates of one decision.
const MaxCandidates = 50

// Candidate is one ad the ad server may show.
type Candidate struct {
	CampaignID string `json:"campaign_id"`
	AdID       string `json:"ad_id"`
}

// Request asks which candidates one person may see now (or at At).
type Request struct {
	Identifiers Identifiers `json:"identifiers"`
	Candidates  []Candidate `json:"candidates"`
	At          *time.Time  `json:"at,omitempty"`
}

// Validate checks a request and lists every failing field.
func (r *Request) Validate() []httpapi.FieldError {
	out := r.Identifiers.Validate("identifiers.")
	if n := len(r.Candidates); n < 1 || n > MaxCandidates {
		out = append(out, httpapi.FieldError{Field: "candidates",
			Reason: fmt.Sprintf("1 to %d candidates, got %d", MaxCandidates, n)})
	}
	for i, c := range r.Candidates {
		f := "candidates[" + strconv.Itoa(i) + "]."
		if reason := idProblem(c.CampaignID, true); reason != "" {
			out = append(out, httpapi.FieldError{Field: f + "campaign_id", Reason: reason})
		}
		if reason := idProblem(c.AdID, false); reason != "" {
			out = append(out, httpapi.FieldError{Field: f + "ad_id", Reason: reason})
		}
	}
	return out
}

// idProblem checks a campaign or ad id the way events do: letters, digits, . _ : -.
func idProblem(id string, required bool) string {
	if id == "" {
		if required {
			return "required"
		}
		return ""
	}
	if len(id) > 128 {
		return "at most 128 characters"
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '_' || c == ':' || c == '-') {
			return "may hold only letters, digits and . _ : -"
		}
	}
	return ""
}

// Binding is the cap that decides a candidate.
type Binding struct {
	Scope  string `json:"scope"` // campaign or ad
	Window Window `json:"window"`
	Count  int    `json:"count"`
}

// Reasons a candidate is refused.
const (
	ReasonCapped       = "capped"        // a cap is reached
	ReasonNoIdentifier = "no_identifier" // capped ad, no usable identifier, policy uncapped_only
	ReasonUnavailable  = "unavailable"   // the store failed: capped ads fail closed
)

// Decision is the answer for one candidate. Binding, Remaining and ResetsAt are absent
// for an uncapped candidate; ResetsAt is absent for a lifetime cap.
type Decision struct {
	CampaignID string     `json:"campaign_id"`
	AdID       string     `json:"ad_id,omitempty"`
	Allowed    bool       `json:"allowed"`
	Reason     string     `json:"reason,omitempty"`
	Binding    *Binding   `json:"binding_cap,omitempty"`
	Remaining  *int       `json:"remaining,omitempty"`
	ResetsAt   *time.Time `json:"resets_at,omitempty"`
}

// Stats is what one decision did, for the outcome log line.
type Stats struct {
	Capped, Denied, Keys, Refs int
	Err                        error // a store error the decision failed closed on
}

// Decider answers frequency decisions.
type Decider struct {
	Store   Store
	Configs ConfigSource
	Now     func() time.Time
}

// Decide answers a validated request of a tenant. It never fails: a store error refuses
// every capped candidate (over-capping is acceptable, under-capping is not) and is
// reported in Stats.
func (d *Decider) Decide(ctx context.Context, tenant string, req *Request) ([]Decision, Stats) {
	at := d.Now()
	if req.At != nil {
		at = *req.At
	}
	out := make([]Decision, len(req.Candidates))
	var st Stats

	// Configuration per candidate; which campaigns need counters?
	cfgs := make([]*Config, len(req.Candidates))
	var campaigns []string
	for i, c := range req.Candidates {
		out[i] = Decision{CampaignID: c.CampaignID, AdID: c.AdID, Allowed: true}
		cfg, err := d.Configs.Config(ctx, tenant, c.CampaignID)
		if err != nil {
			st.Err = err
			out[i].Allowed, out[i].Reason = false, ReasonUnavailable
			continue
		}
		if !cfg.Capped(c.AdID) {
			continue
		}
		cfgs[i] = cfg
		st.Capped++
		if !containsString(campaigns, c.CampaignID) {
			campaigns = append(campaigns, c.CampaignID)
		}
	}
	if len(campaigns) == 0 {
		return finish(out, &st)
	}

	// Who is asking? Without an identifier, the campaign's policy decides.
	keys := req.Identifiers.keys()
	if len(keys) == 0 {
		for i, cfg := range cfgs {
			if cfg != nil && cfg.policy() != Allow {
				out[i].Allowed, out[i].Reason = false, ReasonNoIdentifier
			}
		}
		return finish(out, &st)
	}
	counts, err := d.read(ctx, tenant, keys, campaigns, &st)
	if err != nil {
		st.Err = err
		for i, cfg := range cfgs {
			if cfg != nil {
				out[i].Allowed, out[i].Reason = false, ReasonUnavailable
			}
		}
		return finish(out, &st)
	}

	// Evaluate every capped candidate against its campaign's summed counters.
	views := make(map[string]*campaignView, len(campaigns))
	slots := make([]answerSlot, len(cfgs))
	for i, cfg := range cfgs {
		if cfg == nil {
			continue
		}
		c := req.Candidates[i].CampaignID
		v, ok := views[c]
		if !ok {
			v = newCampaignView(cfg, counts[c], at)
			views[c] = v
		}
		evaluate(&out[i], cfg, v, at, &slots[i])
	}
	return finish(out, &st)
}

func finish(out []Decision, st *Stats) ([]Decision, Stats) {
	for i := range out {
		if !out[i].Allowed {
			st.Denied++
		}
	}
	return out, *st
}

// read resolves the person (one read of the identifiers' links) and reads the counters
// of every key to sum for every capped campaign (one read, split in parallel chunks of
// 100 keys). It returns the counter items by campaign.
func (d *Decider) read(ctx context.Context, tenant string, keys, campaigns []string,
	st *Stats) (map[string][]Counts, error) {
	links, err := d.Store.Links(ctx, tenant, keys)
	if err != nil {
		return nil, err
	}
	id := resolve(keys, links)
	refs := make([]Ref, 0, len(id.sum)*len(campaigns))
	for _, c := range campaigns {
		for _, k := range id.sum {
			refs = append(refs, Ref{Key: k, Campaign: c})
		}
	}
	st.Keys, st.Refs = len(id.sum), len(refs)
	items, err := d.Store.Counters(ctx, tenant, refs)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]Counts, len(campaigns))
	for _, r := range refs {
		if c, ok := items[r]; ok {
			out[r.Campaign] = append(out[r.Campaign], c)
		}
	}
	return out, nil
}

// capState is one cap evaluated at the decision time: its count and when it next drops.
type capState struct {
	scope string
	cap   Cap
	n     int64
	reset time.Time
}

// campaignView is one campaign's counters summed over the person's keys, parsed once per
// decision, and its campaign-level caps evaluated once for all its candidates.
type campaignView struct {
	buckets []bucket
	caps    []capState
}

func newCampaignView(cfg *Config, items []Counts, at time.Time) *campaignView {
	v := &campaignView{buckets: parseBuckets(items)}
	for _, cp := range cfg.Caps {
		n, reset := windowCount(v.buckets, "", false, cp, at, cfg.Location)
		v.caps = append(v.caps, capState{scope: "campaign", cap: cp, n: n, reset: reset})
	}
	return v
}

// evaluate decides one capped candidate: refused when any cap is reached (the binding
// cap is then the reached one that resets last), else allowed with the cap that has the
// fewest impressions left.
func evaluate(dec *Decision, cfg *Config, v *campaignView, at time.Time, slot *answerSlot) {
	var (
		denied    bool
		best      *capState
		bestLeft  int
		adsStates [MaxCaps]capState
	)
	states := v.caps
	if dec.AdID != "" && len(cfg.AdCaps[dec.AdID]) > 0 {
		ad := adsStates[:0]
		for _, cp := range cfg.AdCaps[dec.AdID] {
			n, reset := windowCount(v.buckets, dec.AdID, true, cp, at, cfg.Location)
			ad = append(ad, capState{scope: "ad", cap: cp, n: n, reset: reset})
		}
		states = append(ad, v.caps...)
	}
	for i := range states {
		s := &states[i]
		left := max(0, s.cap.Count-int(s.n))
		switch {
		case left == 0 && (!denied || later(s.reset, best.reset)):
			denied = true // refused until every reached cap resets: keep the latest
		case left > 0 && !denied && (best == nil || left < bestLeft):
		default:
			continue
		}
		best, bestLeft = s, left
	}
	if best == nil {
		return
	}
	slot.binding = Binding{Scope: best.scope, Window: best.cap.Window, Count: best.cap.Count}
	slot.remaining = bestLeft
	dec.Binding, dec.Remaining = &slot.binding, &slot.remaining
	if !best.reset.IsZero() {
		slot.resets = best.reset.UTC()
		dec.ResetsAt = &slot.resets
	}
	if denied {
		dec.Allowed, dec.Reason = false, ReasonCapped
	}
}

// answerSlot holds the pointed-to fields of one decision, allocated together.
type answerSlot struct {
	binding   Binding
	remaining int
	resets    time.Time
}

// later orders resets, the zero time (a lifetime cap: never) being the latest.
func later(a, b time.Time) bool {
	if a.IsZero() {
		return !b.IsZero()
	}
	return !b.IsZero() && a.After(b)
}

// bucket is one parsed counter attribute.
type bucket struct {
	ad   string // "" for the campaign scope
	isAd bool
	kind byte  // m, h, d, w, M, L
	id   int64 // slot number, yyyymmdd, yyyyww, yyyymm; 0 for lifetime
	n    int64
}

// parseBuckets parses the attributes of counter items; names it does not know are
// skipped.
func parseBuckets(items []Counts) []bucket {
	size := 0
	for _, it := range items {
		size += len(it)
	}
	out := make([]bucket, 0, size)
	for _, it := range items {
		for name, n := range it {
			var b bucket
			var rest string
			switch {
			case len(name) > 2 && name[:2] == "c|":
				rest = name[2:]
			case len(name) > 2 && name[:2] == "a|":
				i := lastBar(name)
				if i <= 2 {
					continue
				}
				b.ad, b.isAd, rest = name[2:i], true, name[i+1:]
			default:
				continue
			}
			if rest == "" {
				continue
			}
			b.kind, b.n = rest[0], n
			if rest != "L" {
				id, err := strconv.ParseInt(rest[1:], 10, 64)
				if err != nil {
					continue
				}
				b.id = id
			}
			out = append(out, b)
		}
	}
	return out
}

func lastBar(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '|' {
			return i
		}
	}
	return -1
}

// windowCount sums one cap's buckets, and says when the count next drops: for a
// reached cap, when it drops below the cap; for a calendar window, at the period's end.
func windowCount(buckets []bucket, ad string, isAd bool, cp Cap, at time.Time,
	loc *time.Location) (int64, time.Time) {
	r, ok := rollingOf(cp.Window)
	if !ok {
		kind, id := calendarID(cp.Window, at, loc)
		var n int64
		for i := range buckets {
			b := &buckets[i]
			if b.kind == kind && b.id == id && b.isAd == isAd && b.ad == ad {
				n += b.n
			}
		}
		return n, periodEnd(cp.Window, at, loc)
	}

	// Rolling: the slot of at and the n before it, oldest first.
	var slots [16]int64
	cur := at.Unix() / r.slot
	oldest := cur - r.n
	var total int64
	for i := range buckets {
		b := &buckets[i]
		if b.kind == r.prefix && b.id >= oldest && b.id <= cur && b.isAd == isAd && b.ad == ad {
			slots[b.id-oldest] += b.n
			total += b.n
		}
	}
	left := total
	for j := int64(0); j <= r.n; j++ {
		if slots[j] == 0 {
			continue
		}
		left -= slots[j]
		if total < int64(cp.Count) || left < int64(cp.Count) {
			return total, time.Unix((oldest+j+r.n+1)*r.slot, 0)
		}
	}
	return total, time.Time{}
}

// calendarID is the bucket kind and number of a calendar or lifetime window at t.
func calendarID(w Window, t time.Time, loc *time.Location) (byte, int64) {
	lt := t.In(loc)
	switch w {
	case Day:
		y, m, d := lt.Date()
		return 'd', int64(y)*10000 + int64(m)*100 + int64(d)
	case Week:
		y, wk := lt.ISOWeek()
		return 'w', int64(y)*100 + int64(wk)
	case Month:
		y, m, _ := lt.Date()
		return 'M', int64(y)*100 + int64(m)
	}
	return 'L', 0
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
