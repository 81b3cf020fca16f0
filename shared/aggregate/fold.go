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
func fold(items []item, claimed []bool, cutoff string, now time.Time,
	retention time.Duration) []*row {
	f := folder{byKey: map[[2]string]*row{}, memo: map[memoKey][]*row{}, now: now,
		retention: retention}
	for i := range items {
		it := &items[i]
		if !claimed[i] || (cutoff != "" && !seqLess(it.seq, cutoff)) {
			continue
		}
		for _, r := range f.rowsOf(it) {
			r.addEvent(it)
		}
	}
	return f.rows
}

// memoKey names the rows an event lands in: events of one campaign, ad and minute on
// one shard share all of them, so their keys are built once per batch, not per event.
type memoKey struct {
	tenant, campaign, ad, shard string
	minute                      int64
}

type folder struct {
	byKey     map[[2]string]*row
	memo      map[memoKey][]*row
	rows      []*row
	now       time.Time
	retention time.Duration
}

// rowsOf returns every row the item counts in.
func (f *folder) rowsOf(it *item) []*row {
	at := it.ev.OccurredAt
	mk := memoKey{it.tenant, it.ev.CampaignID, it.ev.AdID, it.shard,
		at.Truncate(time.Minute).Unix()}
	if rows, ok := f.memo[mk]; ok {
		return rows
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
	f.memo[mk] = rows
	return rows
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

// addEvent counts the item in the row, merging with the previous event of its record.
func (r *row) addEvent(it *item) {
	if n := len(r.contribs); n == 0 || r.contribs[n-1].seq != it.seq {
		r.contribs = append(r.contribs, contrib{seq: it.seq})
	}
	r.contribs[len(r.contribs)-1].add.AddEvent(&it.ev)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
