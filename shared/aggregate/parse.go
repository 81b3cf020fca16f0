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
	owner  string // "<shard>/<sequence>/<index>": who may claim the event
	shard  string
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
	for _, r := range in.Records {
		seq, shard := r.Kinesis.SequenceNumber, shardOf(r.EventID)
		arrival := r.Kinesis.ApproximateArrivalTimestamp.UTC()
		rec, err := event.DecodeRecord(r.Kinesis.Data)
		if err != nil {
			b.poison = append(b.poison, poison{seq: seq, shard: shard, reason: err.Error(),
				index: -1, data: r.Kinesis.Data, arrival: arrival})
			continue
		}
		for i, raw := range rec.Events {
			e, err := event.Decode(raw, now)
			if err != nil {
				b.poison = append(b.poison, poison{seq: seq, shard: shard,
					reason: "invalid event: " + err.Error(), tenant: rec.TenantID,
					index: i, data: raw, arrival: arrival})
				continue
			}
			b.items = append(b.items, item{
				seq: seq, shard: shard, tenant: rec.TenantID, ev: e,
				owner: shard + "/" + seq + "/" + strconv.Itoa(i),
			})
		}
	}
	return b
}
