package scenario

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// PrintJSON writes a result (or any value) as indented JSON.
func PrintJSON(w io.Writer, r any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// PrintCampaigns writes campaign totals as a table.
func PrintCampaigns(w io.Writer, rows []CampaignTotal) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "campaign\timpressions\tclicks\tconversions\tspend (micros)\t"+
		"value (micros)\t")
	for _, c := range rows {
		name := c.CampaignID
		if c.APICampaignID != "" {
			name += " (" + c.APICampaignID + ")"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t\n", name, c.Impressions, c.Clicks,
			c.Conversions, money(c.Spend), money(c.Value))
	}
	return tw.Flush()
}

// PrintTable writes the totals as a table and the measurements below it.
func PrintTable(w io.Writer, r Result) error {
	if err := PrintCampaigns(w, r.Campaigns); err != nil {
		return err
	}

	rp := r.Replay
	fmt.Fprintf(w, "\ninput:    %s\n", r.Source)
	fmt.Fprintf(w, "replay:   %d events, %d accepted, %d rejected, %d failed in %.2f s "+
		"(%.0f events/s, request p50 %.1f ms, p99 %.1f ms)\n", rp.Events, rp.Accepted,
		rp.Rejected, rp.Failed, rp.Seconds, rp.EventsPerSecond, rp.P50Millis, rp.P99Millis)
	fmt.Fprintf(w, "settled:  %.2f s after the last accepted event\n", r.Settle)
	wr := r.Writes
	fmt.Fprintf(w, "dynamodb: %d dedup-log + %d rollup + %d reach writes for %d events (%d "+
		"duplicates skipped): %.3f writes per accepted event\n", wr.Claims, wr.Rows, wr.Reach,
		wr.Events, wr.Duplicates, wr.PerEvent)
	if len(r.Problems) > 0 {
		fmt.Fprintf(w, "MISMATCH against the expected totals:\n  %s\n",
			strings.Join(r.Problems, "\n  "))
	}
	return nil
}

// money formats per-currency micros as "8734340 CNY".
func money(m map[string]int64) string {
	if len(m) == 0 {
		return "0"
	}
	parts := make([]string, 0, len(m))
	for cur, v := range m {
		parts = append(parts, fmt.Sprintf("%d %s", v, cur))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}
