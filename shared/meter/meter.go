package meter

import (
	"log/slog"
	"maps"
	"slices"
	"strings"
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
// operation ("PutItem"). It marshals to JSON in the same shape Attr logs it. The same
// shape holds DynamoDB usage by table label instead of service (Meter.Tables).
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
	mu     sync.Mutex
	usage  Snapshot
	tables Snapshot          // DynamoDB usage by table label, then operation
	labels map[string]string // table name → label (NameTables)
}

// New returns an empty meter.
func New() *Meter { return &Meter{usage: Snapshot{}, tables: Snapshot{}} }

// NameTables makes the meter record the DynamoDB usage of each table named in labels
// (physical name → label, e.g. from TableLabels) under its label; other tables are
// recorded under their own names. Call it before the first call is metered.
func (m *Meter) NameTables(labels map[string]string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.labels = maps.Clone(labels)
}

// label returns the label a table is recorded under.
func (m *Meter) label(table string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.labels[table]; ok {
		return l
	}
	return table
}

// Record adds u to an operation's usage.
func (m *Meter) Record(service, operation string, u Usage) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.usage.Add(service, operation, u)
}

// RecordTable adds u to the usage of a DynamoDB operation on one table (by its label).
// Install records each DynamoDB call both ways: Record with the call's total and
// RecordTable with each table's share, so that the tables of an operation sum to it.
func (m *Meter) RecordTable(table, operation string, u Usage) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tables.Add(table, operation, u)
}

// Snapshot returns a copy of the usage so far.
func (m *Meter) Snapshot() Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.usage.Clone()
}

// Tables returns a copy of the DynamoDB usage so far by table label, then operation.
func (m *Meter) Tables() Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tables.Clone()
}

// Reset forgets the usage so far.
func (m *Meter) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.usage, m.tables = Snapshot{}, Snapshot{}
}

// Take returns the usage so far and resets the meter (the usage by table too), in one
// step, so that no call is counted twice or lost between the two.
func (m *Meter) Take() Snapshot {
	s, _ := m.TakeAll()
	return s
}

// TakeAll returns the usage so far and the DynamoDB usage by table (Tables), and resets
// the meter, in one step.
func (m *Meter) TakeAll() (usage, tables Snapshot) {
	m.mu.Lock()
	defer m.mu.Unlock()
	usage, tables = m.usage, m.tables
	m.usage, m.tables = Snapshot{}, Snapshot{}
	return usage, tables
}

// TableLabels returns the tables named by a function's environment (KEY=VALUE
// entries, os.Environ) by physical name, each labelled by its variable: the tables of
// CLAIMS_TABLE=adpulse-claims-1a2b is labelled "CLAIMS_TABLE". Only variables whose
// names end in _TABLE count; a table named by several is labelled by the first name
// in sorted order.
func TableLabels(environ []string) map[string]string {
	out := map[string]string{}
	for _, kv := range slices.Sorted(slices.Values(environ)) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || v == "" || !strings.HasSuffix(k, "_TABLE") {
			continue
		}
		if _, seen := out[v]; !seen {
			out[v] = k
		}
	}
	return out
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

// TablesAttr returns the usage by table (Meter.Tables) as the slog group "awsTables",
// shaped like Attr's: awsTables.CLAIMS_TABLE.PutItem.wru=3.
func TablesAttr(t Snapshot) slog.Attr {
	a := Attr(t)
	a.Key = TablesKey
	return a
}

// TablesKey is the key of the TablesAttr group on a usage line.
const TablesKey = "awsTables"

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
