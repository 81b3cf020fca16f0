package event

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/klauspost/compress/s2"
)

// RecordVersion is the version of the Kinesis record format written by Pack.
const RecordVersion = 1

// MaxRecordBytes is the size a packed record aims to stay under: one Kinesis PUT payload
// unit is 25 KB, so a record of at most this size costs exactly one unit. A single event is
// never split, so a record holding one large event may exceed it (events are at most 16 KB).
const MaxRecordBytes = 25 * 1024

// Codec is how Pack encodes a record's data. Whatever the codec, DecodeRecord reads both
// encodings, so records written before a change of codec stay readable.
type Codec int

// Codecs of PackWith.
const (
	// CodecS2 compresses the JSON envelope with S2 (github.com/klauspost/compress/s2,
	// block format) behind the one-byte marker CompressedS2: about 2.2 times smaller on
	// generated traffic, which is what sets the stream's shard count at launch scale.
	CodecS2 Codec = iota
	// CodecJSON writes the JSON envelope as it is: the format of every record written
	// before compression, kept for a consumer that predates it (docs/design.md).
	CodecJSON
)

// CompressedS2 is the first byte of an S2-compressed record. A JSON envelope starts with
// '{' or JSON whitespace, never with a control byte, so the first byte tells the
// encodings apart.
const CompressedS2 byte = 0x01

// MaxDecodedBytes bounds the size of a compressed record's JSON: a Kinesis record holds at
// most 1 MB, and Pack's records stay under MaxRecordBytes unless one event is larger.
const MaxDecodedBytes = 1 << 20

// ParseCodec reads a codec's name: "s2" or "json".
func ParseCodec(name string) (Codec, error) {
	switch name {
	case "s2":
		return CodecS2, nil
	case "json":
		return CodecJSON, nil
	}
	return 0, fmt.Errorf("record codec %q: want s2 or json", name)
}

// Record is the Kinesis record format: events of one tenant and one campaign. Events stay
// raw so that the consumer decodes and validates each one on its own.
type Record struct {
	Version    int               `json:"v"`
	TenantID   string            `json:"tenant_id"`
	ReceivedAt int64             `json:"received_at"`
	Events     []json.RawMessage `json:"events"`

	data []byte // the record as decoded by DecodeRecord
	src  string // string(data), made by the first call of Event
}

// Event decodes and validates the i-th event of a record read by DecodeRecord exactly as
// Decode does, but the event's strings are cut from one string copy of the whole record
// instead of being allocated one by one; they keep that copy alive while any is in use.
func (r *Record) Event(i int, now time.Time) (Event, error) {
	raw := r.Events[i]
	off := cap(r.data) - cap(raw) // raw is a sub-slice of data unless the caller replaced it
	if len(raw) == 0 || off < 0 || off+len(raw) > len(r.data) || &r.data[off] != &raw[0] {
		return Decode(raw, now)
	}
	if r.src == "" {
		r.src = string(r.data)
	}
	return decode(raw, r.src[off:off+len(raw)], now)
}

// Packed is one record ready for PutRecords, and which input events it carries.
type Packed struct {
	PartitionKey string
	Data         []byte
	Indexes      []int
}

// PartitionKey returns the Kinesis partition key of an event: tenant, campaign and a salt
// taken from the event id, so that one hot campaign spreads over several shards while
// duplicates of one event always travel the same way.
func PartitionKey(tenantID, campaignID, eventID string, salts int) string {
	return tenantID + "/" + campaignID + "/" + strconv.Itoa(Salt(eventID, salts))
}

// Salt returns FNV-1a of the event id modulo salts (salts below 1 count as 1).
func Salt(eventID string, salts int) int {
	if salts <= 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(eventID))
	return int(h.Sum32() % uint32(salts))
}

// Pack groups events by partition key and packs each group into records of at most
// MaxRecordBytes of JSON, keeping the events' order within a group, and compresses each
// record with S2 (CodecS2).
func Pack(tenantID string, events []Event, salts int, receivedAt time.Time) ([]Packed, error) {
	return PackWith(tenantID, events, salts, receivedAt, CodecS2)
}

// PackWith is Pack with the records' encoding chosen by codec. The grouping, and so the
// partition keys and the records' events, do not depend on the codec.
func PackWith(tenantID string, events []Event, salts int, receivedAt time.Time,
	codec Codec) ([]Packed, error) {
	if codec != CodecS2 && codec != CodecJSON {
		return nil, fmt.Errorf("pack: unknown record codec %d", codec)
	}
	type group struct {
		key     string
		encoded [][]byte
		indexes []int
	}
	var groups []*group
	byKey := make(map[string]*group)
	for i := range events {
		e := &events[i]
		key := PartitionKey(tenantID, e.CampaignID, e.EventID, salts)
		g := byKey[key]
		if g == nil {
			g = &group{key: key}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.encoded = append(g.encoded, appendEvent(nil, e))
		g.indexes = append(g.indexes, i)
	}

	header := recordHeader(tenantID, receivedAt)
	var out []Packed
	for _, g := range groups {
		out = appendChunks(out, g.key, header, g.encoded, g.indexes)
	}
	if codec == CodecS2 {
		for i := range out {
			out[i].Data = compressS2(out[i].Data)
		}
	}
	return out, nil
}

// compressS2 returns CompressedS2 followed by the S2 block of plain.
func compressS2(plain []byte) []byte {
	dst := make([]byte, 1+s2.MaxEncodedLen(len(plain)))
	dst[0] = CompressedS2
	enc := s2.EncodeBetter(dst[1:], plain)
	return dst[:1+len(enc)]
}

// decompress returns the JSON envelope of a record's data: the data itself when it is not
// compressed.
func decompress(data []byte) ([]byte, error) {
	if len(data) == 0 || data[0] != CompressedS2 {
		return data, nil
	}
	n, err := s2.DecodedLen(data[1:])
	if err != nil {
		return nil, fmt.Errorf("compressed record: %w", err)
	}
	if n > MaxDecodedBytes {
		return nil, fmt.Errorf("compressed record decodes to %d bytes, limit %d", n,
			MaxDecodedBytes)
	}
	plain, err := s2.Decode(make([]byte, n), data[1:])
	if err != nil {
		return nil, fmt.Errorf("compressed record: %w", err)
	}
	return plain, nil
}

func recordHeader(tenantID string, receivedAt time.Time) []byte {
	tenant, _ := json.Marshal(tenantID)
	h := []byte(`{"v":` + strconv.Itoa(RecordVersion) + `,"tenant_id":`)
	h = append(h, tenant...)
	h = append(h, `,"received_at":`...)
	h = strconv.AppendInt(h, receivedAt.UnixMilli(), 10)
	return append(h, `,"events":[`...)
}

// appendChunks cuts one group's encoded events into records under MaxRecordBytes.
func appendChunks(out []Packed, key string, header []byte, encoded [][]byte, idx []int) []Packed {
	var cur Packed
	for i, data := range encoded {
		full := len(cur.Data)+len(data)+3 > MaxRecordBytes
		if cur.Data != nil && full {
			out = append(out, closeRecord(cur))
			cur = Packed{}
		}
		if cur.Data == nil {
			cur = Packed{PartitionKey: key, Data: append([]byte(nil), header...)}
		} else {
			cur.Data = append(cur.Data, ',')
		}
		cur.Data = append(cur.Data, data...)
		cur.Indexes = append(cur.Indexes, idx[i])
	}
	if cur.Data != nil {
		out = append(out, closeRecord(cur))
	}
	return out
}

func closeRecord(p Packed) Packed {
	p.Data = append(p.Data, "]}"...)
	return p
}

// DecodeRecord parses a Kinesis record written by Pack with either codec: S2-compressed,
// or the plain JSON envelope of records written before compression. It checks the
// envelope only; each event must still be decoded with Decode.
func DecodeRecord(data []byte) (Record, error) {
	data, err := decompress(data)
	if err != nil {
		return Record{}, err
	}
	r, err := parseRecord(data)
	if err != nil {
		return Record{}, fmt.Errorf("record is not a JSON envelope: %w", err)
	}
	if r.Version != RecordVersion {
		return Record{}, fmt.Errorf("record version %d, want %d", r.Version, RecordVersion)
	}
	if r.TenantID == "" {
		return Record{}, errors.New("record has no tenant_id")
	}
	if len(r.Events) == 0 {
		return Record{}, errors.New("record holds no events")
	}
	r.data = data
	return r, nil
}

// parseRecord reads the envelope with the scanner, leaving each event raw.
func parseRecord(data []byte) (Record, error) {
	var r Record
	s := scanner{data: data}
	if err := s.expect('{'); err != nil {
		return r, err
	}
	if s.peek() == '}' {
		s.i++
		return r, s.trailing()
	}
	for {
		key, err := s.str()
		if err == nil {
			err = s.expect(':')
		}
		if err == nil {
			err = s.recordField(string(key), &r)
		}
		if err != nil {
			return r, err
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return r, s.trailing()
		default:
			return r, s.fail("expected ',' or '}'")
		}
	}
}

func (s *scanner) recordField(key string, r *Record) error {
	switch key {
	case "v", "received_at":
		num, err := s.number()
		if err != nil {
			return err
		}
		n, err := strconv.ParseInt(string(num), 10, 64)
		if err != nil {
			return fmt.Errorf("%s must be an integer", key)
		}
		if key == "v" {
			r.Version = int(n)
		} else {
			r.ReceivedAt = n
		}
	case "tenant_id":
		b, err := s.str()
		if err != nil {
			return err
		}
		r.TenantID = string(b)
	case "events":
		if s.peek() == '[' {
			// One pass: the steps and errors of skip, keeping each element's span.
			events, err := s.arraySpans()
			r.Events = events
			return err
		}
		raw, err := s.skip()
		if err != nil {
			return err
		}
		if r.Events, err = splitArray(raw); err != nil {
			return err
		}
	default:
		_, err := s.skip()
		return err
	}
	return nil
}

// arraySpans steps over the array at the cursor exactly as skip does, failing where and
// how skip fails, and returns its elements' spans.
func (s *scanner) arraySpans() ([]json.RawMessage, error) {
	s.i++ // the opening bracket
	if s.peek() == ']' {
		s.i++
		return nil, nil
	}
	var out []json.RawMessage
	for {
		raw, err := s.skip()
		if err != nil {
			return nil, err
		}
		out = append(out, raw)
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return out, nil
		default:
			return nil, s.fail(fmt.Sprintf("expected ',' or %q", byte(']')))
		}
	}
}
