package aggregate

import (
	"time"

	"github.com/adpulse/adpulse/shared/totals"
)

// row is one rollup row's share of the batch: what each record adds to it, in sequence
// order, so that a partly applied row can be re-applied from any record on.
type row struct {
	pk, sk    string
	expiresAt int64 // 0 for rows that never expire
	contribs  []contrib

	// the share of the record being folded, not yet in contribs
	pending   bool
	pend      totals.Counters // counts only; money is in pendMoney
	pendMoney []moneyAdd
}

type contrib struct {
	seq string
	add totals.Counters
}

// total is the row's delta from the records whose sequence number is above after
// ("" for all), and the lowest and highest of those sequence numbers.
func (r *row) total(after string) (sum totals.Counters, lo, hi string) {
	for _, c := range r.contribs {
		if after != "" && !seqLess(after, c.seq) {
			continue
		}
		if lo == "" {
			lo = c.seq
		}
		hi = c.seq
		sum.Add(c.add)
	}
	return sum, lo, hi
}

// fold groups the claimed events of records below cutoff ("" for none) into rows.
//
// Events that land in the same rows (one memo group) are first summed per record into
// the group's pending counters, and each record's sums are added to the group's rows when
// the next record starts: one counter update per event instead of one per row it counts
// in. Items come in sequence order, record by record, so every row still gets one
// contribution per record, in sequence order, holding the same sums as before.
func fold(items []item, claimed []bool, cutoff string, now time.Time,
	retention time.Duration) []*row {
	f := folder{byKey: map[[2]string]*row{}, memo: map[memoKey]*group{}, now: now,
		retention: retention}
	var seq string
	var dirty []*group
	var touched []*row // rows with a pending share of the current record
	var money []moneyAdd
	flush := func() {
		for _, g := range dirty {
			money = money[:0]
			for cur, v := range g.pend.Spend {
				money = append(money, moneyAdd{cur: cur, v: v})
			}
			for cur, v := range g.pend.Value {
				money = append(money, moneyAdd{value: true, cur: cur, v: v})
			}
			for _, r := range g.rows {
				if !r.pending {
					r.pending = true
					touched = append(touched, r)
				}
				r.pend.Impressions += g.pend.Impressions
				r.pend.Clicks += g.pend.Clicks
				r.pend.Conversions += g.pend.Conversions
				for _, m := range money {
					r.addMoney(m)
				}
			}
			g.pend.Impressions, g.pend.Clicks, g.pend.Conversions = 0, 0, 0
			clear(g.pend.Spend)
			clear(g.pend.Value)
			g.dirty = false
		}
		dirty = dirty[:0]
		for _, r := range touched {
			r.commit(seq)
		}
		touched = touched[:0]
	}
	for i := range items {
		it := &items[i]
		if !claimed[i] || (cutoff != "" && !seqLess(it.seq, cutoff)) {
			continue
		}
		if it.seq != seq {
			flush()
			seq = it.seq
		}
		g := f.groupOf(it)
		if !g.dirty {
			g.dirty = true
			dirty = append(dirty, g)
		}
		g.pend.AddEvent(&it.ev)
	}
	flush()
	return f.rows
}

// group is the rows of one memo key and what the current record adds to each of them.
type group struct {
	rows  []*row
	pend  totals.Counters
	dirty bool // pend holds events of the current record
}

// memoKey names the rows an event lands in: events of one campaign, ad and minute on
// one shard share all of them, so their keys are built once per batch, not per event.
type memoKey struct {
	tenant, campaign, ad, shard string
	minute                      int64
}

type folder struct {
	byKey     map[[2]string]*row
	memo      map[memoKey]*group
	rows      []*row
	now       time.Time
	retention time.Duration
}

// groupOf returns the group of every row the item counts in.
func (f *folder) groupOf(it *item) *group {
	at := it.ev.OccurredAt
	mk := memoKey{it.tenant, it.ev.CampaignID, it.ev.AdID, it.shard,
		at.Truncate(time.Minute).Unix()}
	if g, ok := f.memo[mk]; ok {
		return g
	}

	pk := totals.PK(it.tenant, it.ev.CampaignID)
	rows := []*row{f.get(pk, totals.TotalSK(it.shard), 0)}
	if it.ev.AdID != "" {
		rows = append(rows, f.get(pk, totals.AdTotalSK(it.ev.AdID, it.shard), 0))
	}
	for _, g := range totals.Grains {
		expires := int64(0) // only minute rows expire
		if g == totals.Minute {
			expires = later(g.Truncate(at), f.now).Add(f.retention).Unix()
		}
		rows = append(rows, f.get(pk, totals.BucketSK(g, at, it.shard), expires))
		if it.ev.AdID != "" {
			rows = append(rows, f.get(pk, totals.AdBucketSK(g, it.ev.AdID, at, it.shard),
				expires))
		}
	}
	for _, g := range totals.TenantGrains {
		rows = append(rows, f.get(totals.TenantPK(it.tenant, g, at),
			totals.TenantSK(it.ev.CampaignID, it.shard), 0))
	}
	g := &group{rows: rows}
	f.memo[mk] = g
	return g
}

func (f *folder) get(pk, sk string, expires int64) *row {
	k := [2]string{pk, sk}
	r := f.byKey[k]
	if r == nil {
		r = &row{pk: pk, sk: sk, expiresAt: expires}
		f.byKey[k] = r
		f.rows = append(f.rows, r)
	}
	return r
}

// moneyAdd is an amount of one currency, spend or (value) conversion value.
type moneyAdd struct {
	value bool
	cur   string
	v     int64
}

// addMoney adds to the row's pending share, in a short list rather than a map: a row
// sees few currencies.
func (r *row) addMoney(m moneyAdd) {
	for k := range r.pendMoney {
		if p := &r.pendMoney[k]; p.value == m.value && p.cur == m.cur {
			p.v += m.v
			return
		}
	}
	r.pendMoney = append(r.pendMoney, m)
}

// commit adds the row's pending share as the record's contribution, merging with the
// record's earlier share when there is one.
func (r *row) commit(seq string) {
	if n := len(r.contribs); n == 0 || r.contribs[n-1].seq != seq {
		r.contribs = append(r.contribs, contrib{seq: seq})
	}
	c := &r.contribs[len(r.contribs)-1].add
	c.Impressions += r.pend.Impressions
	c.Clicks += r.pend.Clicks
	c.Conversions += r.pend.Conversions
	for _, m := range r.pendMoney {
		dst := &c.Spend
		if m.value {
			dst = &c.Value
		}
		if *dst == nil {
			*dst = make(map[string]int64, 1)
		}
		(*dst)[m.cur] += m.v
	}
	r.pend = totals.Counters{}
	r.pendMoney = r.pendMoney[:0]
	r.pending = false
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
