package aggregate

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The de-duplication log's items come in two formats; both are always read, so a deploy
// can overlap consumers of either kind on one shard.
//
// Format 1 (attributes "seqs" and "ents"), written before session 8: "seqs" lists the
// item's record sequence numbers in decimal, space-separated, and "ents" holds 22 bytes
// per event: the first 16 bytes of its SHA-256 fingerprint, the position of its record in
// "seqs" (uint16) and its index in the record (uint32), big-endian.
//
// Format 2 (attribute "recs", the default since session 8) holds, for each record of the
// item in sequence order: the record's sequence number as the difference from the
// previous record's (from the sort key's sequence number for the first, so that one
// costs a byte), as uvarint(2*len | sign) and len big-endian bytes of its magnitude; then
// uvarint(n) and n 12-byte (96-bit) fingerprints, the events of that record the item
// logs. That is 12 bytes per event plus a few bytes per record, against 22 per event plus
// the decimal sequence number per record in format 1.
//
// What is left out, and why that is safe:
//
//   - The event's index in its record. An entry's owner exists to tell a redelivered
//     record (same shard and sequence number: count the event, the rollup watermarks absorb
//     the repeat) from a copy in another record (skip it). A record is delivered whole or
//     not at all (retries and bisection split batches between records, never inside one)
//     and its events are always read in the same order, so a fingerprint that occurs
//     twice in one record is caught by the batch's own duplicate check before the log is
//     consulted. The record alone therefore names the owner; format-1 indexes are read
//     and ignored.
//   - 32 bits of the fingerprint. A collision of two different events in one log
//     partition (a shard and minute, with its ancestors' entries after a reshard) drops
//     the later one. With n events in a partition the chance is about n²/2^97: at launch
//     (100,000 events/s over 17 shards, ~6,000 a shard a second) n = 360,000 and it is
//     8e-19 a partition; 17 shards make 8.9 million partitions a year, 7e-12 a year. The
//     merge of two such shards (n = 720,000) makes it 3e-11 a year, four times the traffic
//     per shard 1.2e-10. 80 bits would save 2 more bytes an event (~$0.0012 per million)
//     at 5e-7 a year; 64 bits would lose an event about once in 30 years at launch
//     traffic, which is not negligible.
//
// Sequence numbers zero-padded to one width (the local emulator's) go into format 2 as
// their values, with the width in the item's attribute "w", and are padded back when read.
//
// The sequence number deltas are as long as consecutive records' sequence numbers differ:
// a byte or two on the local emulator, at most the 24 bytes of a 56-digit AWS sequence
// number (how consecutive AWS sequence numbers differ is not documented). At ~8 events a
// record that is at most ~3 bytes an event; the local measurements see less.

// LogFormat is the format new de-duplication log items are written in. Both are read.
type LogFormat int

const (
	// LogFormat2 is the dense format (the default).
	LogFormat2 LogFormat = iota
	// LogFormat1 is the format before session 8, for a rollout in two steps: first every
	// consumer reads both formats while writing format 1, which consumers still running
	// the older code read, then format 2 is switched on.
	LogFormat1
)

// ParseLogFormat reads a DEDUP_LOG_FORMAT value: "" or "2" for LogFormat2, "1" for
// LogFormat1.
func ParseLogFormat(s string) (LogFormat, error) {
	switch s {
	case "", "2":
		return LogFormat2, nil
	case "1":
		return LogFormat1, nil
	}
	return 0, fmt.Errorf("log format must be 1 or 2, got %q", s)
}

// fpBytes is the size of a fingerprint in a format-2 entry: 96 bits (see above).
const fpBytes = 12

// entryBytes is the size of one format-1 entry: a 16-byte fingerprint, the record's
// position in the item's list of sequence numbers (uint16) and the event's index in its
// record (uint32).
const entryBytes = 16 + 2 + 4

// maxItemBytes bounds the entries of one log item, far below DynamoDB's 400 KB.
const maxItemBytes = 256 << 10

// entryCost is an upper bound of the bytes an entry adds to a log item in either format:
// newRecord says whether it is the first of its record in the item, which then adds its
// sequence number (seqLen decimal digits).
func entryCost(seqLen int, newRecord bool) int {
	if newRecord {
		return entryBytes + seqLen + 4
	}
	return entryBytes
}

// fpKey is the part of a fingerprint the log compares: its first 96 bits.
type fpKey [fpBytes]byte

// key returns the fingerprint's first 96 bits.
func (fp *fingerprint) key() fpKey {
	return fpKey(fp[:fpBytes])
}

// errNotCanonical says a sequence number cannot go into format 2: it would not read back
// as the same string (not all decimal digits, or zero-padded to a width other records of
// the item do not share).
var errNotCanonical = errors.New("sequence number is not a canonical decimal")

// paddedWidth returns the width to which every sequence number of the chunk (base and its
// records) is zero-padded: 0 when none has a leading zero, as Kinesis's (0|[1-9][0-9]*)
// do, or their common length when all have one (the local emulator pads to 21 digits).
// Format 2 stores the numbers' values and this width, so each reads back as itself.
func paddedWidth(base string, items []item, idx []int) (int, error) {
	width, padded := len(base), hasLeadingZero(base)
	if !digits(base) {
		return 0, fmt.Errorf("%w: %q", errNotCanonical, base)
	}
	for _, i := range idx {
		seq := items[i].seq
		if !digits(seq) || hasLeadingZero(seq) != padded || (padded && len(seq) != width) {
			return 0, fmt.Errorf("%w: %q", errNotCanonical, seq)
		}
	}
	if !padded {
		return 0, nil
	}
	return width, nil
}

// digits reports whether s is one or more decimal digits.
func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// hasLeadingZero reports whether s is zero-padded ("0" alone is not).
func hasLeadingZero(s string) bool { return len(s) > 1 && s[0] == '0' }

// canonicalSeq reports whether seq reads back from its big.Int as the same string, as
// Kinesis sequence numbers (0|[1-9][0-9]{0,128}) do.
func canonicalSeq(seq string) bool { return digits(seq) && !hasLeadingZero(seq) }

// appendFormat2 appends the format-2 encoding of the chunk's entries to dst and returns
// the width the sequence numbers are zero-padded to (0: not padded; stored as the item's
// "w"). base is the sequence number in the item's sort key. idx lists the chunk's items
// in sequence order.
func appendFormat2(dst []byte, base string, items []item, fps []fingerprint, idx []int) (
	[]byte, int, error) {
	width, err := paddedWidth(base, items, idx)
	if err != nil {
		return nil, 0, err
	}
	var prev, cur, delta big.Int
	prev.SetString(base, 10) // big.Int reads leading zeros as digits of the same value
	for k := 0; k < len(idx); {
		seq := items[idx[k]].seq
		end := k + 1
		for end < len(idx) && items[idx[end]].seq == seq {
			end++
		}
		cur.SetString(seq, 10)
		delta.Sub(&cur, &prev)
		n := (delta.BitLen() + 7) / 8
		h := uint64(n) << 1
		if delta.Sign() < 0 {
			h |= 1
		}
		dst = binary.AppendUvarint(dst, h)
		l := len(dst)
		dst = slices.Grow(dst, n)[:l+n]
		delta.FillBytes(dst[l:])
		dst = binary.AppendUvarint(dst, uint64(end-k))
		for _, i := range idx[k:end] {
			dst = append(dst, fps[i][:fpBytes]...)
		}
		prev.Set(&cur)
		k = end
	}
	return dst, width, nil
}

// appendFormat1 returns the format-1 "seqs" and "ents" of the chunk's entries.
func appendFormat1(items []item, fps []fingerprint, idx []int) (string, []byte) {
	var seqs []string
	ords := map[string]uint16{}
	ents := make([]byte, 0, len(idx)*entryBytes)
	for _, i := range idx {
		it := &items[i]
		ord, ok := ords[it.seq]
		if !ok {
			ord = uint16(len(seqs))
			ords[it.seq] = ord
			seqs = append(seqs, it.seq)
		}
		ents = append(ents, fps[i][:]...)
		ents = binary.BigEndian.AppendUint16(ents, ord)
		ents = binary.BigEndian.AppendUint32(ents, uint32(it.index))
	}
	return strings.Join(seqs, " "), ents
}

// decodeLogItem adds one log item's entries, of either format, to owners and returns its
// sort key.
func decodeLogItem(it map[string]types.AttributeValue, owners map[fpKey]logOwner) (
	string, error) {
	pk, _ := it["pk"].(*types.AttributeValueMemberS)
	sk, _ := it["sk"].(*types.AttributeValueMemberS)
	if pk == nil || sk == nil {
		return "", errors.New("malformed log item: no pk or sk")
	}
	shard := strings.TrimPrefix(pk.Value, "log#")
	shard = shard[:max(0, strings.LastIndexByte(shard, '#'))]

	if recs, ok := it["recs"].(*types.AttributeValueMemberB); ok {
		width := 0
		if w, ok := it["w"].(*types.AttributeValueMemberN); ok {
			n, err := strconv.Atoi(w.Value)
			if err != nil || n < 0 || n > 200 {
				return "", fmt.Errorf("log item %s: width %q", sk.Value, w.Value)
			}
			width = n
		}
		if err := decodeFormat2(recs.Value, sk.Value, shard, width, owners); err != nil {
			return "", fmt.Errorf("log item %s: %w", sk.Value, err)
		}
		return sk.Value, nil
	}

	seqs, _ := it["seqs"].(*types.AttributeValueMemberS)
	ents, _ := it["ents"].(*types.AttributeValueMemberB)
	if seqs == nil || ents == nil || len(ents.Value)%entryBytes != 0 {
		return "", fmt.Errorf("malformed log item %s", sk.Value)
	}
	list := strings.Split(seqs.Value, " ")
	for b := ents.Value; len(b) > 0; b = b[entryBytes:] {
		ord := int(binary.BigEndian.Uint16(b[16:18]))
		if ord >= len(list) {
			return "", fmt.Errorf("log item %s: record %d of %d", sk.Value, ord, len(list))
		}
		// The index (b[18:22]) is not needed to tell a redelivery from a copy (above).
		owners[fpKey(b[:fpBytes])] = logOwner{shard: shard, seq: list[ord]}
	}
	return sk.Value, nil
}

// decodeFormat2 adds the entries of a format-2 "recs" value to owners; sk is the item's
// sort key, "<padded sequence number>/<index>", and width the item's "w": the sequence
// numbers' zero-padded width, 0 for none.
func decodeFormat2(b []byte, sk, shard string, width int,
	owners map[fpKey]logOwner) error {
	base, _, ok := strings.Cut(sk, "/")
	var prev, cur, delta big.Int
	if base = strings.TrimLeft(base, "0"); base == "" {
		base = "0"
	}
	if _, valid := prev.SetString(base, 10); !ok || !valid {
		return fmt.Errorf("sort key %q does not start with a sequence number", sk)
	}
	for len(b) > 0 {
		h, n := binary.Uvarint(b)
		if n <= 0 || h>>1 > uint64(len(b)-n) {
			return errors.New("truncated sequence number")
		}
		b = b[n:]
		l := int(h >> 1)
		delta.SetBytes(b[:l])
		if h&1 == 1 {
			delta.Neg(&delta)
		}
		b = b[l:]
		cur.Add(&prev, &delta)
		if cur.Sign() < 0 {
			return errors.New("negative sequence number")
		}
		count, n := binary.Uvarint(b)
		if n <= 0 || count > uint64(len(b)-n)/fpBytes {
			return errors.New("truncated entries")
		}
		b = b[n:]
		seq := cur.String()
		if len(seq) < width {
			seq = strings.Repeat("0", width-len(seq)) + seq
		}
		owner := logOwner{shard: shard, seq: seq}
		for range count {
			owners[fpKey(b[:fpBytes])] = owner
			b = b[fpBytes:]
		}
		prev.Set(&cur)
	}
	return nil
}
