package capping_test

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"
)

// cms is a count-min sketch of depth 5 with conservative update: the idea of one small
// fixed table shared by every person and ad, measured here against exact counts.
type cms struct {
	width uint64
	rows  [5][]uint32
}

var cmsSeeds = [5]uint64{0x9e3779b97f4a7c15, 0xbf58476d1ce4e5b9, 0x94d049bb133111eb,
	0x2545f4914f6cdd1d, 0xd6e8feb86659fd93}

func newCMS(width int) *cms {
	s := &cms{width: uint64(width)}
	for i := range s.rows {
		s.rows[i] = make([]uint32, width)
	}
	return s
}

func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// add adds c with conservative update: only cells below the new estimate grow.
func (s *cms) add(key uint64, c uint32) {
	var idx [5]uint64
	est := ^uint32(0)
	for i := range s.rows {
		idx[i] = mix(key^cmsSeeds[i]) % s.width
		est = min(est, s.rows[i][idx[i]])
	}
	for i := range s.rows {
		if s.rows[i][idx[i]] < est+c {
			s.rows[i][idx[i]] = est + c
		}
	}
}

func (s *cms) estimate(key uint64) uint32 {
	est := ^uint32(0)
	for i := range s.rows {
		est = min(est, s.rows[i][mix(key^cmsSeeds[i])%s.width])
	}
	return est
}

// BenchmarkCountMinSketch inserts CAPPING_SKETCH_PAIRS person-ad pairs (default 50 M)
// into a 100,000 x 5 sketch with Zipf-distributed impression counts (s = 2, 1 to 255
// per pair, most pairs seeing one impression) and reports, for a cap of 2, how often
// the sketch refuses a pair that the exact count allows: pairs seen once, and pairs
// never seen (a person's first impression of an ad).
func BenchmarkCountMinSketch(b *testing.B) {
	pairs := 50_000_000
	if v := os.Getenv("CAPPING_SKETCH_PAIRS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatal(err)
		}
		pairs = n
	}
	for b.Loop() {
		start := time.Now()
		s := newCMS(100_000)
		rng := rand.New(rand.NewPCG(1, 2))
		zipf := rand.NewZipf(rng, 2, 1, 254)
		counts := make([]uint8, pairs)
		var impressions uint64
		next := 0
		for _, checkpoint := range []int{100_000, 1_000_000, 10_000_000, pairs} {
			if checkpoint > pairs {
				continue
			}
			for ; next < checkpoint; next++ {
				c := uint8(zipf.Uint64() + 1)
				counts[next] = c
				impressions += uint64(c)
				s.add(mix(uint64(next)), uint32(c))
			}
			once, onceRefused := 0, 0
			step := max(1, checkpoint/1_000_000)
			for i := 0; i < checkpoint; i += step {
				if counts[i] == 1 {
					once++
					if s.estimate(mix(uint64(i))) >= 2 {
						onceRefused++
					}
				}
			}
			fresh := 0
			for i := 0; i < 100_000; i++ {
				if s.estimate(mix(uint64(pairs+1+i))) >= 2 {
					fresh++
				}
			}
			b.Logf("%11d pairs, %11d impressions: over-capping (cap 2) %.2f%% of pairs seen "+
				"once, %.2f%% of unseen pairs; %.1f s", checkpoint, impressions,
				100*float64(onceRefused)/float64(max(once, 1)), float64(fresh)/1000,
				time.Since(start).Seconds())
		}
	}
}
