package meter

import (
	"log/slog"
	"maps"
	"slices"
	"sync"
)

// Usage is what the calls of one operation used. Units count only what AWS bills: a
// throttled or refused request moves Requests but no units, except the DynamoDB writes
// whose condition failed, which AWS charges like successful ones.
type Usage struct {
	Calls    int64 `json:"calls"`              // operation calls made, retries not counted
	Requests int64 `json:"requests"`           // HTTP attempts, retries counted
	Errors   int64 `json:"errors,omitempty"`   // calls that ended in an error
	Records  int64 `json:"records,omitempty"`  // Kinesis records the stream took
	PutUnits int64 `json:"putUnits,omitempty"` // Kinesis PUT payload units (25 KB each)
	RecordKB int64 `json:"recordKB,omitempty"` // Kinesis data in, each record rounded up to 1 KB
	Bytes    int64 `json:"bytes,omitempty"`    // Kinesis data in, exact: what shard limits count
	Items    int64 `json:"items,omitempty"`    // DynamoDB items written or read

	WriteUnits int64   `json:"wru,omitempty"` // DynamoDB write request units
	ReadUnits  float64 `json:"rru,omitempty"` // DynamoDB read request units (halves exact)

	SQSUnits int64 `json:"sqsUnits,omitempty"` // SQS billed requests: 64 KB chunks, at least 1
	Messages int64 `json:"messages,omitempty"` // SQS messages sent or received
	Emails   int64 `json:"emails,omitempty"`   // SES messages: one per recipient
}

// Add returns the sum of u and v.
func (u Usage) Add(v Usage) Usage {
	return Usage{
		Calls: u.Calls + v.Calls, Requests: u.Requests + v.Requests, Errors: u.Errors + v.Errors,
		Records: u.Records + v.Records, PutUnits: u.PutUnits + v.PutUnits,
		RecordKB: u.RecordKB + v.RecordKB, Bytes: u.Bytes + v.Bytes, Items: u.Items + v.Items,
		WriteUnits: u.WriteUnits + v.WriteUnits, ReadUnits: u.ReadUnits + v.ReadUnits,
		SQSUnits: u.SQSUnits + v.SQSUnits, Messages: u.Messages + v.Messages,
		Emails: u.Emails + v.Emails,
	}
}

// Snapshot is usage by service id ("DynamoDB", "Kinesis", "SQS", "SESv2"...) and then by
// operation ("PutItem"). It marshals to JSON in the same shape Attr logs it.
type Snapshot map[string]map[string]Usage

// Add adds u to the usage of one operation.
func (s Snapshot) Add(service, operation string, u Usage) {
	ops := s[service]
	if ops == nil {
		ops = make(map[string]Usage)
		s[service] = ops
	}
	ops[operation] = ops[operation].Add(u)
}

// Merge adds every count of o to s.
func (s Snapshot) Merge(o Snapshot) {
	for svc, ops := range o {
		for op, u := range ops {
			s.Add(svc, op, u)
		}
	}
}

// Service returns the usage of every operation of a service, summed.
func (s Snapshot) Service(service string) Usage {
	var total Usage
	for _, u := range s[service] {
		total = total.Add(u)
	}
	return total
}

// Clone returns a deep copy of s.
func (s Snapshot) Clone() Snapshot {
	out := make(Snapshot, len(s))
	for svc, ops := range s {
		out[svc] = maps.Clone(ops)
	}
	return out
}

// Meter accumulates usage. It is safe for concurrent use; the zero value is not, use New.
type Meter struct {
	mu    sync.Mutex
	usage Snapshot
}

// New returns an empty meter.
func New() *Meter { return &Meter{usage: Snapshot{}} }

// Record adds u to an operation's usage.
func (m *Meter) Record(service, operation string, u Usage) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.usage.Add(service, operation, u)
}

// Snapshot returns a copy of the usage so far.
func (m *Meter) Snapshot() Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.usage.Clone()
}

// Reset forgets the usage so far.
func (m *Meter) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.usage = Snapshot{}
}

// Take returns the usage so far and resets the meter, in one step, so that no call is
// counted twice or lost between the two.
func (m *Meter) Take() Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.usage
	m.usage = Snapshot{}
	return s
}

// Attr returns s as the slog group "aws": one group per service, one per operation, with
// only the counts that are not zero, e.g. aws.DynamoDB.PutItem.wru=3.
func Attr(s Snapshot) slog.Attr {
	svcs := slices.Sorted(maps.Keys(s))
	groups := make([]any, 0, len(svcs))
	for _, svc := range svcs {
		ops := slices.Sorted(maps.Keys(s[svc]))
		attrs := make([]any, 0, len(ops))
		for _, op := range ops {
			attrs = append(attrs, slog.Group(op, s[svc][op].attrs()...))
		}
		groups = append(groups, slog.Group(svc, attrs...))
	}
	return slog.Group("aws", groups...)
}

// attrs lists the counts of u that are not zero, under their JSON names.
func (u Usage) attrs() []any {
	out := []any{slog.Int64("calls", u.Calls), slog.Int64("requests", u.Requests)}
	add := func(key string, v int64) {
		if v != 0 {
			out = append(out, slog.Int64(key, v))
		}
	}
	add("errors", u.Errors)
	add("records", u.Records)
	add("putUnits", u.PutUnits)
	add("recordKB", u.RecordKB)
	add("bytes", u.Bytes)
	add("items", u.Items)
	add("wru", u.WriteUnits)
	if u.ReadUnits != 0 {
		out = append(out, slog.Float64("rru", u.ReadUnits))
	}
	add("sqsUnits", u.SQSUnits)
	add("messages", u.Messages)
	add("emails", u.Emails)
	return out
}
