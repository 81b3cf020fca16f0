package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/totals"
)

func TestCompute(t *testing.T) {
	cases := []struct {
		name  string
		c     totals.Counters
		reach *totals.Reach
		want  string // the metrics as JSON
	}{
		{name: "nothing: every ratio null", c: totals.Counters{},
			want: `{"impressions":0,"clicks":0,"conversions":0,"spend_micros":0,` +
				`"conversion_value_micros":0,"ctr":null,"cvr":null,"cpm_micros":null,` +
				`"cpc_micros":null,"cpa_micros":null,"roas":null,"unique_users":null,` +
				`"unique_users_std_error":null,"avg_frequency":null}`},
		{name: "impressions and clicks, no conversions",
			c: totals.Counters{Impressions: 3, Clicks: 1,
				Spend: map[string]int64{"EUR": 1_000_000}},
			reach: &totals.Reach{People: 2, StdError: 0.008},
			want: `{"impressions":3,"clicks":1,"conversions":0,"spend_micros":1000000,` +
				`"conversion_value_micros":0,"ctr":0.3333333333333333,"cvr":0,` +
				`"cpm_micros":333333333,"cpc_micros":1000000,"cpa_micros":null,"roas":0,` +
				`"unique_users":2,"unique_users_std_error":0.008,"avg_frequency":1.5}`},
		{name: "other currencies are listed, not counted",
			c: totals.Counters{Impressions: 2, Clicks: 1, Conversions: 1,
				Spend: map[string]int64{"EUR": 3, "USD": 5},
				Value: map[string]int64{"EUR": 9}},
			reach: &totals.Reach{People: 0, StdError: 0.008},
			want: `{"impressions":2,"clicks":1,"conversions":1,"spend_micros":3,` +
				`"conversion_value_micros":9,"ctr":0.5,"cvr":1,"cpm_micros":1500,` +
				`"cpc_micros":3,"cpa_micros":3,"roas":3,"unique_users":0,` +
				`"unique_users_std_error":0,"avg_frequency":null,` +
				`"other_currencies":["USD"]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := Compute(tc.c, "EUR")
			if tc.reach != nil {
				m.SetReach(*tc.reach)
			}
			got, _ := json.Marshal(m)
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestDivRound(t *testing.T) {
	cases := []struct{ num, mul, den, want int64 }{
		{5, 1, 2, 3}, {-5, 1, 2, -3}, {4, 1, 3, 1}, {2, 1, 3, 1}, {1, 1000, 3, 333},
		{1 << 62, 1000, 1 << 20, (1 << 42) * 1000},
	}
	for _, tc := range cases {
		if got := *divRound(tc.num, tc.mul, tc.den); got != tc.want {
			t.Errorf("divRound(%d, %d, %d): got %d, want %d", tc.num, tc.mul, tc.den, got,
				tc.want)
		}
	}
}

func TestDecimal(t *testing.T) {
	cases := []struct {
		micros int64
		cur    string
		want   string
	}{
		{8_734_340, "CNY", "8.73434"}, {250_000_000, "EUR", "250.00"}, {1, "EUR", "0.000001"},
		{1_500_000, "JPY", "1.5"}, {7_000_000, "JPY", "7"}, {1_234_000, "BHD", "1.234"},
		{-1_230_000, "USD", "-1.23"}, {0, "USD", "0.00"},
	}
	for _, tc := range cases {
		if got := Decimal(tc.micros, tc.cur); got != tc.want {
			t.Errorf("Decimal(%d, %s): got %q, want %q", tc.micros, tc.cur, got, tc.want)
		}
	}
}

func TestNeutralise(t *testing.T) {
	cases := []struct{ in, want string }{
		{"=SUM(A1:A9)", "'=SUM(A1:A9)"}, {"+1", "'+1"}, {"-cmd", "'-cmd"}, {"@x", "'@x"},
		{"\tx", "'\tx"}, {"\rx", "'\rx"}, {"Spring sale", "Spring sale"}, {"", ""},
		{"a=b", "a=b"},
	}
	for _, tc := range cases {
		if got := Neutralise(tc.in); got != tc.want {
			t.Errorf("Neutralise(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestRankingCSV checks RFC 4180 quoting, CRLF line ends, neutralised cells, and that
// a standard reader gets every cell back.
func TestRankingCSV(t *testing.T) {
	m := Compute(totals.Counters{Impressions: 10, Clicks: 1,
		Spend: map[string]int64{"EUR": 12_345_678}}, "EUR")
	rk := &Ranking{Items: []RankedCampaign{
		{Rank: 1, CampaignID: "cmp_1", Name: `=HYPERLINK("http://evil","x")`,
			Status: campaign.Active, Currency: "EUR", BudgetMicros: 5_000_000, Metrics: m},
		{Rank: 2, CampaignID: "cmp_2", Name: "Sale, \"big\"\nline two", Status: campaign.Paused,
			Currency: "EUR", Metrics: Compute(totals.Counters{}, "EUR"),
			Pacing: &Pacing{Status: Behind, SpendMicros: 1, ExpectedMicros: 2}},
	}}
	var buf bytes.Buffer
	if err := WriteRankingCSV(&buf, rk); err != nil {
		t.Fatal(err)
	}
	raw := buf.String()
	for _, want := range []string{
		"\r\n1,cmp_1,\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",active,5.00,10,1,0,12.345678,",
		"\"Sale, \"\"big\"\"\r\nline two\"",
	} {
		if !strings.Contains(raw, want) {
			t.Errorf("CSV lacks %q:\n%s", want, raw)
		}
	}
	recs, err := csv.NewReader(strings.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	if len(recs) != 3 || !reflect.DeepEqual(recs[0], rankingHeader) {
		t.Fatalf("got %d records, header %q", len(recs), recs[0])
	}
	col := func(name string) int {
		for i, h := range rankingHeader {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return 0
	}
	checks := map[string][2]string{
		"name":         {`'=HYPERLINK("http://evil","x")`, "Sale, \"big\"\nline two"},
		"cpm":          {"1234.5678", ""},
		"ctr":          {"0.1", ""},
		"pacing":       {"", "behind"},
		"spend":        {"12.345678", "0.00"},
		"cpa":          {"", ""},
		"clicks":       {"1", "0"},
		"budget":       {"5.00", "0.00"},
		"pacing_ratio": {"", ""},
	}
	for name, want := range checks {
		for i := 0; i < 2; i++ {
			if got := recs[i+1][col(name)]; got != want[i] {
				t.Errorf("row %d %s: got %q, want %q", i+1, name, got, want[i])
			}
		}
	}
}

func TestPace(t *testing.T) {
	cap100 := int64(100)
	mk := func(total int64, daily *int64, start, end, tz string) campaign.Campaign {
		return campaign.Campaign{ID: "cmp_x", Spec: campaign.Spec{
			Budget:   &campaign.Budget{TotalMicros: total, DailyCapMicros: daily, Currency: "EUR"},
			Schedule: &campaign.Schedule{Start: start, End: end, Timezone: tz}}}
	}
	tenDays := mk(1000, nil, "2026-03-01T00:00:00Z", "2026-03-11T00:00:00Z", "UTC")
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		name     string
		c        campaign.Campaign
		spend    int64
		now      string
		want     PacingStatus // "" for no pacing
		expected int64
	}{
		{"halfway, on track", tenDays, 500, "2026-03-06T00:00:00Z", OnTrack, 500},
		{"halfway, 9% over", tenDays, 545, "2026-03-06T00:00:00Z", OnTrack, 500},
		{"halfway, 20% under", tenDays, 400, "2026-03-06T00:00:00Z", Behind, 500},
		{"halfway, 20% over", tenDays, 600, "2026-03-06T00:00:00Z", Ahead, 500},
		{"budget spent", tenDays, 1000, "2026-03-06T00:00:00Z", Exhausted, 500},
		{"before start, nothing spent", tenDays, 0, "2026-02-01T00:00:00Z", OnTrack, 0},
		{"before start, spent", tenDays, 5, "2026-02-01T00:00:00Z", Ahead, 0},
		{"after end", tenDays, 950, "2026-04-01T00:00:00Z", OnTrack, 1000},
		{"daily cap is lower than linear", mk(10000, &cap100, "2026-03-01T00:00:00Z",
			"2026-03-11T00:00:00Z", "UTC"), 300, "2026-03-04T00:00:00Z", OnTrack, 300},
		{"open ended with cap: 23-hour day counts as one", mk(10000, &cap100,
			"2026-03-08T08:00:00Z", "", "America/Los_Angeles"), 100,
			"2026-03-09T07:00:00Z", OnTrack, 100},
		{"open ended without cap", mk(1000, nil, "2026-03-01T00:00:00Z", "", "UTC"), 10,
			"2026-03-05T00:00:00Z", "", 0},
		{"open ended without cap, spent", mk(1000, nil, "2026-03-01T00:00:00Z", "", "UTC"),
			1000, "2026-03-05T00:00:00Z", Exhausted, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := Pace(tc.c, tc.spend, at(tc.now))
			if tc.want == "" {
				if p != nil {
					t.Errorf("got %+v, want no pacing", p)
				}
				return
			}
			if p == nil || p.Status != tc.want || p.ExpectedMicros != tc.expected {
				t.Errorf("got %+v, want %s expecting %d", p, tc.want, tc.expected)
			}
		})
	}
}

func TestSortRows(t *testing.T) {
	mk := func(id string, imps, clicks int64) RankedCampaign {
		return RankedCampaign{CampaignID: id, Metrics: Compute(totals.Counters{
			Impressions: imps, Clicks: clicks}, "EUR")}
	}
	rows := []RankedCampaign{mk("a", 0, 0), mk("b", 10, 1), mk("c", 10, 5), mk("d", 20, 2)}
	cases := []struct {
		key  string
		desc bool
		want string
	}{
		{"ctr", true, "c b d a"}, {"ctr", false, "b d c a"},
		{"impressions", true, "d b c a"}, {"impressions", false, "a b c d"},
	}
	for _, tc := range cases {
		got := append([]RankedCampaign(nil), rows...)
		sortRows(got, tc.key, tc.desc)
		var ids []string
		for _, r := range got {
			ids = append(ids, r.CampaignID)
		}
		if strings.Join(ids, " ") != tc.want {
			t.Errorf("sort %s desc=%v: got %v, want %s", tc.key, tc.desc, ids, tc.want)
		}
	}
}

func TestParseTop(t *testing.T) {
	cases := []struct {
		name   string
		p      TopParams
		fields string
	}{
		{"defaults", TopParams{Start: "2026-06-01", End: "2026-07-01"}, ""},
		{"Kolkata dates are not whole UTC hours", TopParams{Start: "2026-06-01",
			End: "2026-07-01", TZ: "Asia/Kolkata"}, "start"},
		{"bad everything", TopParams{Start: "2026-06-01", End: "2026-07-01", Sort: "-fame",
			Limit: "101", Status: "gone"}, "sort limit status"},
		{"over 400 days", TopParams{Start: "2025-01-01", End: "2026-07-01"}, "end"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q, err := ParseTop(tc.p)
			var got []string
			if ie, ok := err.(*InputError); ok {
				for _, f := range ie.Fields {
					got = append(got, f.Field)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, " ") != tc.fields {
				t.Errorf("bad fields: got %v (%v), want %q", got, err, tc.fields)
			}
			if tc.fields == "" && (q.Sort != "spend" || !q.Descending || q.Limit != 20 ||
				len(q.Buckets) != 1) {
				t.Errorf("defaults: got %+v", q)
			}
		})
	}
}
