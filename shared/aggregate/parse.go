package aggregate

import (
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/shared/event"
)

// item is one valid event of the batch and the record that carries it.
type item struct {
	seq    string // sequence number of the record
	owner  string // "<shard>/<sequence>/<index>": the record that counts the event
	shard  string
	index  int // of the event in its record
	tenant string
	ev     event.Event
}

// poison is a record, or one event of a record, that can never be counted.
type poison struct {
	seq, shard, reason string
	tenant             string
	index              int // event index within the record, -1 for the whole record
	data               []byte
	arrival            time.Time
}

type batch struct {
	items  []item
	poison []poison
}

// parseBatch decodes every record and every event on its own, in sequence order.
func parseBatch(in events.KinesisEvent, now time.Time) batch {
	var b batch
	// Read every envelope first, so that items is allocated once at its final size:
	// growing a slice of this many events by appending was most of the fold's garbage.
	recs := make([]event.Record, len(in.Records))
	errs := make([]error, len(in.Records))
	n := 0
	for j, r := range in.Records {
		recs[j], errs[j] = event.DecodeRecord(r.Kinesis.Data)
		n += len(recs[j].Events)
	}
	b.items = make([]item, 0, n)
	var owners []byte // the owners of one record's items, end to end
	var ends []int
	for j, r := range in.Records {
		seq, shard := r.Kinesis.SequenceNumber, shardOf(r.EventID)
		arrival := r.Kinesis.ApproximateArrivalTimestamp.UTC()
		rec := &recs[j]
		if err := errs[j]; err != nil {
			b.poison = append(b.poison, poison{seq: seq, shard: shard, reason: err.Error(),
				index: -1, data: r.Kinesis.Data, arrival: arrival})
			continue
		}
		prefix := shard + "/" + seq + "/"
		owners, ends = owners[:0], ends[:0]
		for i, raw := range rec.Events {
			e, err := rec.Event(i, now)
			if err != nil {
				b.poison = append(b.poison, poison{seq: seq, shard: shard,
					reason: "invalid event: " + err.Error(), tenant: rec.TenantID,
					index: i, data: raw, arrival: arrival})
				continue
			}
			b.items = append(b.items, item{seq: seq, shard: shard, index: i,
				tenant: rec.TenantID, ev: e})
			owners = strconv.AppendInt(append(owners, prefix...), int64(i), 10)
			ends = append(ends, len(owners))
		}
		setOwners(b.items[len(b.items)-len(ends):], owners, ends)
	}
	return b
}

// setOwners gives each item its owner, "<shard>/<sequence>/<index>", cut from one string
// of them all: ends[k] is where the k-th item's owner ends in owners.
func setOwners(items []item, owners []byte, ends []int) {
	all := string(owners)
	start := 0
	for k := range items {
		items[k].owner = all[start:ends[k]]
		start = ends[k]
	}
}
