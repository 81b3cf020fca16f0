package aggregate

import (
	"context"
	"encoding/hex"
	"errors"
	"log/slog"
	"maps"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/adpulse/adpulse/shared/event"
	"github.com/adpulse/adpulse/shared/meter"
)

const (
	testShard = "shardId-000000000000"
	testPK    = "log#" + testShard + "#29440020"
	seqA      = "49590338271490256608559692538361571095921575989136588898"
	seqB      = "49590338271490256608559692538361571095921575989136589898" // seqA + 1000
	seqC      = "49590338271490256608559692538361571095921575989136588897" // seqA - 1
)

// testFP is a fingerprint whose bytes are n*16, n*16+1, ...
func testFP(n byte) fingerprint {
	var fp fingerprint
	for j := range fp {
		fp[j] = n*16 + byte(j)
	}
	return fp
}

func hexOf(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func key(n byte) fpKey { fp := testFP(n); return fp.key() }

func TestLogItemEncodings(t *testing.T) {
	cases := []struct {
		name     string
		seqs1    []string // each event's record
		index    []int
		format2  string // hex of "recs"
		seqs     string // format 1 "seqs"
		format1  string // hex of format 1 "ents"
		wantSeqs []string
	}{
		{
			name:  "two records, two events and one",
			seqs1: []string{seqA, seqA, seqB},
			index: []int{0, 3, 1},
			// record A: delta 0 (00), 2 events; record B: delta 1000 = 03e8 (2 bytes: 04),
			// 1 event. 42 bytes for 3 events.
			format2: "00 02 000102030405060708090a0b 101112131415161718191a1b" +
				" 04 03e8 01 202122232425262728292a2b",
			seqs: seqA + " " + seqB,
			format1: "000102030405060708090a0b0c0d0e0f 0000 00000000" +
				" 101112131415161718191a1b1c1d1e1f 0000 00000003" +
				" 202122232425262728292a2b2c2d2e2f 0001 00000001",
			wantSeqs: []string{seqA, seqA, seqB},
		},
		{
			name:  "a record below the previous one (not from Kinesis, still exact)",
			seqs1: []string{seqA, seqC},
			index: []int{7, 0},
			// delta -1: one byte, sign bit set (2*1|1 = 03).
			format2: "00 01 000102030405060708090a0b 03 01 01 101112131415161718191a1b",
			seqs:    seqA + " " + seqC,
			format1: "000102030405060708090a0b0c0d0e0f 0000 00000007" +
				" 101112131415161718191a1b1c1d1e1f 0001 00000000",
			wantSeqs: []string{seqA, seqC},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			items := make([]item, len(tc.seqs1))
			fps := make([]fingerprint, len(tc.seqs1))
			idx := make([]int, len(tc.seqs1))
			want := map[fpKey]logOwner{}
			for i, seq := range tc.seqs1 {
				items[i] = item{seq: seq, shard: testShard, index: tc.index[i]}
				fps[i], idx[i] = testFP(byte(i)), i
				want[key(byte(i))] = logOwner{shard: testShard, seq: tc.wantSeqs[i]}
			}
			sk := padSeq(items[0].seq) + "/" + "0"

			recs, width, err := appendFormat2(nil, items[0].seq, items, fps, idx)
			if err != nil || width != 0 {
				t.Fatalf("width %d, %v; want Kinesis's unpadded numbers", width, err)
			}
			if w := hexOf(t, tc.format2); string(recs) != string(w) {
				t.Errorf("format 2 = % x\nwant       % x", recs, w)
			}
			seqs, ents := appendFormat1(items, fps, idx)
			if w := hexOf(t, tc.format1); seqs != tc.seqs || string(ents) != string(w) {
				t.Errorf("format 1 = %q, % x\nwant %q, % x", seqs, ents, tc.seqs, w)
			}

			for name, it := range map[string]map[string]types.AttributeValue{
				"format 2": {"pk": s(testPK), "sk": s(sk),
					"recs": &types.AttributeValueMemberB{Value: recs}},
				"format 1": {"pk": s(testPK), "sk": s(sk), "seqs": s(seqs),
					"ents": &types.AttributeValueMemberB{Value: ents}},
			} {
				got := map[fpKey]logOwner{}
				gotSK, err := decodeLogItem(it, got)
				if err != nil || gotSK != sk {
					t.Fatalf("%s: decode: %q, %v", name, gotSK, err)
				}
				if !maps.Equal(got, want) {
					t.Errorf("%s: owners %v, want %v", name, got, want)
				}
			}
		})
	}
}

func s(v string) *types.AttributeValueMemberS { return &types.AttributeValueMemberS{Value: v} }

func TestMalformedLogItemsAreErrors(t *testing.T) {
	sk := padSeq(seqA) + "/0"
	b := func(h string) *types.AttributeValueMemberB {
		return &types.AttributeValueMemberB{Value: hexOf(t, h)}
	}
	cases := []struct {
		name string
		item map[string]types.AttributeValue
		want string
	}{
		{"no sort key", map[string]types.AttributeValue{"pk": s(testPK), "recs": b("00")},
			"no pk or sk"},
		{"neither format", map[string]types.AttributeValue{"pk": s(testPK), "sk": s(sk)},
			"malformed log item"},
		{"format 1, entries cut short", map[string]types.AttributeValue{"pk": s(testPK),
			"sk": s(sk), "seqs": s(seqA), "ents": b("0001")}, "malformed log item"},
		{"format 1, record out of range", map[string]types.AttributeValue{"pk": s(testPK),
			"sk": s(sk), "seqs": s(seqA),
			"ents": b("000102030405060708090a0b0c0d0e0f 0001 00000000")}, "record 1 of 1"},
		{"format 2, sequence number cut short", map[string]types.AttributeValue{
			"pk": s(testPK), "sk": s(sk), "recs": b("06 03e8")}, "truncated sequence number"},
		{"format 2, fewer fingerprints than counted", map[string]types.AttributeValue{
			"pk": s(testPK), "sk": s(sk), "recs": b("00 02 000102030405060708090a0b")},
			"truncated entries"},
		{"format 2, below zero", map[string]types.AttributeValue{"pk": s(testPK),
			"sk": s("0/0"), "recs": b("03 01 00")}, "negative sequence number"},
		{"format 2, sort key without a sequence number", map[string]types.AttributeValue{
			"pk": s(testPK), "sk": s("x"), "recs": b("00 00")}, "does not start with"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeLogItem(tc.item, map[fpKey]logOwner{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestFormat2RefusesSequenceNumbersItCannotRestore(t *testing.T) {
	for _, seqs := range [][]string{{""}, {"12a"}, {"-5"}, {"+5"},
		{"0049", "12"},    // padded and not
		{"0049", "00512"}, // padded to two widths
		{"12", "0049"},
	} {
		items := make([]item, len(seqs))
		fps := make([]fingerprint, len(seqs))
		idx := make([]int, len(seqs))
		for i, seq := range seqs {
			items[i], fps[i], idx[i] = item{seq: seq, shard: testShard}, testFP(byte(i)), i
		}
		_, _, err := appendFormat2(nil, seqs[0], items, fps, idx)
		if !errors.Is(err, errNotCanonical) {
			t.Errorf("%q: got %v, want errNotCanonical", seqs, err)
		}
	}
	for _, seq := range []string{"0", "7", seqA} {
		if !canonicalSeq(seq) {
			t.Errorf("%q: canonical, but refused", seq)
		}
	}
}

// TestFormat2KeepsZeroPadding: the local emulator pads sequence numbers to 21 digits;
// format 2 stores their values and the width, and they read back as the same strings,
// which is what tells a redelivered record from a copy.
func TestFormat2KeepsZeroPadding(t *testing.T) {
	tests := []struct {
		name  string
		seqs  []string
		width int
	}{
		{"emulator", []string{"000000000000000000002", "000000000000000000005",
			"000000000000000000010", "000000000000000000010"}, 21},
		{"Kinesis", []string{"7", "19", "100"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			items := make([]item, len(tc.seqs))
			fps := make([]fingerprint, len(tc.seqs))
			idx := make([]int, len(tc.seqs))
			want := map[fpKey]logOwner{}
			for i, seq := range tc.seqs {
				items[i], fps[i], idx[i] = item{seq: seq, shard: testShard}, testFP(byte(i)), i
				want[key(byte(i))] = logOwner{shard: testShard, seq: seq}
			}

			recs, width, err := appendFormat2(nil, tc.seqs[0], items, fps, idx)
			if err != nil || width != tc.width {
				t.Fatalf("width %d, %v; want %d", width, err, tc.width)
			}
			it := map[string]types.AttributeValue{"pk": s(testPK),
				"sk":   s(padSeq(tc.seqs[0]) + "/0"),
				"recs": &types.AttributeValueMemberB{Value: recs}}
			if width > 0 {
				it["w"] = &types.AttributeValueMemberN{Value: strconv.Itoa(width)}
			}
			got := map[fpKey]logOwner{}
			if _, err := decodeLogItem(it, got); err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, want) {
				t.Errorf("owners %v, want %v", got, want)
			}
		})
	}
}

// TestFormat2Size writes down the bytes per event of format 2 against format 1 for
// records of 8 events, with AWS-long sequence numbers that differ by a small step (the
// local emulator) and by 2^100 (an assumed AWS step; not documented).
func TestFormat2Size(t *testing.T) {
	cases := []struct {
		name           string
		step           *big.Int
		format2, form1 int // bytes for 1,000 records of 8 events
	}{
		{"step 1000", big.NewInt(1000), 1000*(1+2+1+8*12) - 2,
			1000*(8*22+len(seqA)+1) - 1},
		{"step 2^100", new(big.Int).Lsh(big.NewInt(1), 100), 1000*(1+13+1+8*12) - 13,
			1000*(8*22+len(seqA)+1) - 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var items []item
			var fps []fingerprint
			var idx []int
			seq, _ := new(big.Int).SetString(seqA, 10)
			for r := range 1000 {
				for e := range 8 {
					idx = append(idx, len(items))
					items = append(items, item{seq: seq.String(), shard: testShard, index: e})
					fps = append(fps, fingerprintOf("t", "c", strconv.Itoa(r*8+e)))
				}
				seq.Add(seq, tc.step)
			}
			recs, _, err := appendFormat2(nil, seqA, items, fps, idx)
			if err != nil {
				t.Fatal(err)
			}
			seqs, ents := appendFormat1(items, fps, idx)
			if len(recs) != tc.format2 || len(seqs)+len(ents) != tc.form1 {
				t.Errorf("format 2: %d bytes (%.2f an event), format 1: %d (%.2f), want %d, %d",
					len(recs), float64(len(recs))/8000, len(seqs)+len(ents),
					float64(len(seqs)+len(ents))/8000, tc.format2, tc.form1)
			}
		})
	}
}

// sizingDB answers every call at once and adds up the billed size of the log items put.
type sizingDB struct {
	nopDB
	items, bytes, units int
}

func (d *sizingDB) PutItem(_ context.Context, in *dynamodb.PutItemInput,
	_ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	size := meter.ItemSize(in.Item)
	d.items++
	d.bytes += size
	d.units += (size + meter.WriteUnitBytes - 1) / meter.WriteUnitBytes
	return &dynamodb.PutItemOutput{}, nil
}

// TestLogBytesPerEvent measures what the log costs per event in each format, as DynamoDB
// bills the items (meter.ItemSize, 1 KB write units), for a launch-like batch: one second
// of a shard at launch, 6,000 events in one minute, 8 events a record (what 500-event
// requests of 4 campaigns over 16 salts pack into), 750 records. Sequence numbers of 56
// digits step by 1,000 (the tests' streams) or by 2^100 (an assumed AWS step).
func TestLogBytesPerEvent(t *testing.T) {
	cases := []struct {
		name      string
		format    LogFormat
		step      *big.Int
		wantBytes int // of the one log item
		wantUnits int
	}{
		// 132,000 of entries, 42,749 of sequence numbers, 192 of keys and names.
		{"format 1, step 1000", LogFormat1, big.NewInt(1000), 174941, 171},
		// 72,000 of fingerprints, 2,998 of record headers (delta of 2 bytes), 188 more.
		{"format 2, step 1000", LogFormat2, big.NewInt(1000), 75186, 74},
		// 11,237 of record headers (delta of 13 bytes).
		{"format 2, step 2^100", LogFormat2, new(big.Int).Lsh(big.NewInt(1), 100), 83425, 82},
	}
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			seq, _ := new(big.Int).SetString(seqA, 10)
			var items []item
			for r := range 750 {
				for e := range 8 {
					items = append(items, item{seq: seq.String(), shard: testShard, index: e,
						tenant: "t", ev: event.Event{EventID: strconv.Itoa(r*8 + e),
							OccurredAt: at.Add(time.Duration(r/13) * time.Second)}})
				}
				seq.Add(seq, tc.step)
			}
			db := &sizingDB{}
			h := &Handler{DB: db, Workers: 1, LogFormat: tc.format, DedupWindow: time.Hour,
				Now: func() time.Time { return at }, Log: slog.New(slog.DiscardHandler)}
			claimed, _, writes, failed := h.dedupAll(context.Background(), "", items)
			if writes != 1 || len(failed) != 0 || !slices.Equal(claimed,
				slices.Repeat([]bool{true}, len(items))) {
				t.Fatalf("%d writes, failed %v", writes, failed)
			}
			t.Logf("%d bytes, %d write units: %.2f bytes and %.4f units an event",
				db.bytes, db.units, float64(db.bytes)/6000, float64(db.units)/6000)
			if db.bytes != tc.wantBytes || db.units != tc.wantUnits {
				t.Errorf("%d bytes, %d units; want %d, %d", db.bytes, db.units,
					tc.wantBytes, tc.wantUnits)
			}
		})
	}
}
