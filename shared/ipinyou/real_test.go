package ipinyou_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/adpulse/adpulse/shared/event"
	"github.com/adpulse/adpulse/shared/ipinyou"
)

// The values the data's README says any correct pipeline reproduces.
const (
	wantImpLines    = 10_000
	wantClkLines    = 442
	wantImpressions = 9_960
	wantClicks      = 433
	wantSpendMicros = 8_734_340
	impressionFile  = "imp.20131021.adv2821.limit1000.txt"
	clickFile       = "clk.20131021.adv2821.txt"
	dataDirEnv      = "IPINYOU_DIR"
	dataDirFromRoot = "../shared/data/ipinyou"
)

// dataDir finds the shared iPinYou folder (../shared/data/ipinyou from the repository
// root, or $IPINYOU_DIR). Without it the test fails on CI and is skipped elsewhere.
func dataDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv(dataDirEnv)
	if dir == "" {
		root, err := filepath.Abs("../..")
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, dataDirFromRoot)
	}
	if _, err := os.Stat(filepath.Join(dir, impressionFile)); err != nil {
		msg := "iPinYou data not found in " + dir + " (set " + dataDirEnv + "): " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dir
}

// rawCounts is what a plain split of one file says, independent of the mapping code.
type rawCounts struct {
	lines    int
	distinct int
	spend    int64 // paying price x 10 of the first line of each bid id
}

func countRaw(t *testing.T, path string) rawCounts {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	var c rawCounts
	seen := make(map[string]bool)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		c.lines++
		if seen[cols[0]] {
			continue
		}
		seen[cols[0]] = true
		c.distinct++
		if cols[2] == "1" {
			price, err := strconv.ParseInt(cols[20], 10, 64)
			if err != nil {
				t.Fatalf("%s line %d: %v", path, c.lines, err)
			}
			c.spend += price * 10
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRealFilesRaw(t *testing.T) {
	dir := dataDir(t)
	imp := countRaw(t, filepath.Join(dir, impressionFile))
	clk := countRaw(t, filepath.Join(dir, clickFile))
	t.Logf("raw: impression lines %d, distinct %d, spend %d; click lines %d, distinct %d",
		imp.lines, imp.distinct, imp.spend, clk.lines, clk.distinct)

	tests := []struct {
		name      string
		got, want int64
	}{
		{"impression lines", int64(imp.lines), wantImpLines},
		{"click lines", int64(clk.lines), wantClkLines},
		{"distinct impressions", int64(imp.distinct), wantImpressions},
		{"distinct clicks", int64(clk.distinct), wantClicks},
		{"spend of distinct impressions", imp.spend, wantSpendMicros},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %d, want %d", tc.name, tc.got, tc.want)
		}
	}
}

// totals is what the pipeline should count: events de-duplicated by event_id.
type totals struct {
	lines                            int
	impressions, clicks, conversions int
	spend                            int64
}

func TestReadDirReal(t *testing.T) {
	dir := dataDir(t)
	events, err := ipinyou.ReadDir(dir)
	if err != nil {
		t.Fatalf("ReadDir: %v", err)
	}

	var got totals
	seen := make(map[string]bool)
	for i, e := range events {
		if i > 0 && e.OccurredAt.Before(events[i-1].OccurredAt) {
			t.Fatalf("event %d (%s) is before the event it follows", i, e.EventID)
		}
		roundTrip(t, e)
		got.lines++
		if seen[e.EventID] {
			continue
		}
		seen[e.EventID] = true
		switch e.Type {
		case event.Impression:
			got.impressions++
		case event.Click:
			got.clicks++
		case event.Conversion:
			got.conversions++
		}
		got.spend += e.CostMicros
	}
	t.Logf("mapped: %d events, %d impressions, %d clicks, %d conversions, spend %d",
		got.lines, got.impressions, got.clicks, got.conversions, got.spend)

	want := totals{
		lines:       wantImpLines + wantClkLines,
		impressions: wantImpressions, clicks: wantClicks, spend: wantSpendMicros,
	}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestReadDirRealCampaignAndCurrency(t *testing.T) {
	events, err := ipinyou.ReadDir(dataDir(t))
	if err != nil {
		t.Fatalf("ReadDir: %v", err)
	}
	for _, e := range events {
		if e.CampaignID != "2821" {
			t.Fatalf("%s: got campaign %q, want 2821", e.EventID, e.CampaignID)
		}
		wantCurrency := ""
		if e.Type == event.Impression {
			wantCurrency = "CNY"
		}
		if e.Currency != wantCurrency {
			t.Fatalf("%s: got currency %q, want %q", e.EventID, e.Currency, wantCurrency)
		}
	}
}
