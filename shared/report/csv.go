package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Neutralise makes a cell safe to open in a spreadsheet: a cell that begins with =, +,
// -, @, a tab or a carriage return would be read as a formula, so it gets a leading
// single quote. Other cells are unchanged.
func Neutralise(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// csvWriter writes RFC 4180 records (CRLF line ends, quotes where needed) one at a
// time, every cell neutralised.
type csvWriter struct {
	w *csv.Writer
}

func newCSV(w io.Writer) *csvWriter {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return &csvWriter{w: cw}
}

func (c *csvWriter) row(cells ...string) error {
	for i, s := range cells {
		cells[i] = Neutralise(s)
	}
	if err := c.w.Write(cells); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

func (c *csvWriter) flush() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// metricHeader names the metric columns, in the order metricCells writes them.
var metricHeader = []string{"impressions", "clicks", "conversions", "spend",
	"conversion_value", "currency", "ctr", "cvr", "cpm", "cpc", "cpa", "roas",
	"unique_users", "unique_users_std_error", "avg_frequency"}

// metricCells writes metrics as CSV cells: amounts as decimals of the currency, ratios
// in full precision, nulls as empty cells.
func metricCells(m Metrics, cur string) []string {
	money := func(p *int64) string {
		if p == nil {
			return ""
		}
		return Decimal(*p, cur)
	}
	float := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', -1, 64)
	}
	users := ""
	if m.UniqueUsers != nil {
		users = strconv.FormatUint(*m.UniqueUsers, 10)
	}
	return []string{strconv.FormatInt(m.Impressions, 10), strconv.FormatInt(m.Clicks, 10),
		strconv.FormatInt(m.Conversions, 10), Decimal(m.SpendMicros, cur),
		Decimal(m.ValueMicros, cur), cur, float(m.CTR), float(m.CVR), money(m.CPMMicros),
		money(m.CPCMicros), money(m.CPAMicros), float(m.ROAS), users,
		float(m.UniqueUsersStdError), float(m.AvgFrequency)}
}

// WriteCampaignCSV writes a campaign report as CSV, one record per row as it goes: a
// header, the rows, then the total (kind "total").
func WriteCampaignCSV(w io.Writer, rep *CampaignReport) error {
	out := newCSV(w)
	if err := out.row(append([]string{"kind", "start", "end"}, metricHeader...)...); err != nil {
		return err
	}
	for _, row := range rep.Rows {
		if err := out.row(rowCells("row", row, rep.Currency)...); err != nil {
			return err
		}
	}
	if err := out.row(rowCells("total", rep.Total, rep.Currency)...); err != nil {
		return err
	}
	return out.flush()
}

func rowCells(kind string, row Row, cur string) []string {
	return append([]string{kind, row.Start.Format(time.RFC3339), row.End.Format(time.RFC3339)},
		metricCells(row.Metrics, cur)...)
}

// rankingHeader names the ranking's columns.
var rankingHeader = append(append([]string{"rank", "campaign_id", "name", "status",
	"budget"}, metricHeader...), "pacing", "pacing_ratio", "pacing_spend", "pacing_expected")

// WriteRankingCSV writes a ranking as CSV, one record per campaign, after a header.
func WriteRankingCSV(w io.Writer, rk *Ranking) error {
	out := newCSV(w)
	if err := out.row(append([]string(nil), rankingHeader...)...); err != nil {
		return err
	}
	for _, it := range rk.Items {
		cells := append([]string{strconv.Itoa(it.Rank), it.CampaignID, it.Name,
			string(it.Status), Decimal(it.BudgetMicros, it.Currency)},
			metricCells(it.Metrics, it.Currency)...)
		pace := []string{"", "", "", ""}
		if p := it.Pacing; p != nil {
			pace = []string{string(p.Status), "", Decimal(p.SpendMicros, it.Currency),
				Decimal(p.ExpectedMicros, it.Currency)}
			if p.Ratio != nil {
				pace[1] = strconv.FormatFloat(*p.Ratio, 'f', -1, 64)
			}
		}
		if err := out.row(append(cells, pace...)...); err != nil {
			return err
		}
	}
	return out.flush()
}
