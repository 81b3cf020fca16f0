package scenario

import (
	"context"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/adpulse/adpulse/devstack"
	"github.com/adpulse/adpulse/devstack/kumo"
	"github.com/adpulse/adpulse/devstack/replay"
	"github.com/adpulse/adpulse/shared/event"
	"github.com/adpulse/adpulse/shared/ipinyou"
	"github.com/adpulse/adpulse/shared/totals"
	"github.com/adpulse/adpulse/shared/traffic"
)

// Input is what a run replays, and what it should add up to when that is known.
type Input struct {
	Source   string
	Events   []event.Event
	Expected map[string]traffic.Totals // by campaign; nil when not known in advance
}

// Load reads the iPinYou logs of dir, or generates count events of realistic traffic for
// tenant when dir is empty.
func Load(dir, tenant string, count int) (Input, error) {
	if dir != "" {
		evs, err := ipinyou.ReadDir(dir)
		if err != nil {
			return Input{}, fmt.Errorf("load %s: %w", dir, err)
		}
		return Input{Source: "iPinYou logs in " + dir, Events: evs}, nil
	}
	// A live demo: the last quarter hour, as an ad server would be sending it now.
	end := time.Now().UTC()
	tr, err := traffic.Generate(traffic.Options{Tenant: tenant, Count: count, Seed: 1,
		Start: end.Add(-15 * time.Minute), End: end})
	if err != nil {
		return Input{}, fmt.Errorf("generate traffic: %w", err)
	}
	return Input{
		Source: fmt.Sprintf("generated traffic (%d events, %d duplicate deliveries)",
			len(tr.Events), tr.Duplicates),
		Events: tr.Events, Expected: tr.Expected,
	}, nil
}

// Result is what one run measured.
type Result struct {
	Source    string          `json:"source"`
	Replay    ReplaySummary   `json:"replay"`
	Settle    float64         `json:"settle_seconds"` // last accepted event → totals settled
	Writes    Writes          `json:"dynamodb_writes"`
	Campaigns []CampaignTotal `json:"campaigns"`
	Problems  []string        `json:"problems,omitempty"` // differences from the expected totals
}

// ReplaySummary is the part of replay.Stats a report shows.
type ReplaySummary struct {
	Events          int     `json:"events"`
	Accepted        int     `json:"accepted"`
	Rejected        int     `json:"rejected"`
	Failed          int     `json:"failed"`
	Requests        int     `json:"requests"`
	Seconds         float64 `json:"seconds"`
	EventsPerSecond float64 `json:"events_per_second"`
	P50Millis       float64 `json:"p50_ms"`
	P99Millis       float64 `json:"p99_ms"`
}

// CampaignTotal is one campaign's running totals.
type CampaignTotal struct {
	CampaignID    string `json:"campaign_id"`
	APICampaignID string `json:"api_campaign_id,omitempty"` // when created through the API
	totals.Counters
}

// Run replays in through the stack's API with the tenant's key and reports.
func Run(ctx context.Context, stack *devstack.Stack, tenant, key string, in Input,
	progress io.Writer) (Result, error) {
	logPath := stack.LogPath("aggregate")
	offset := fileSize(logPath)

	stats, err := replay.Run(ctx, replay.Options{
		APIURL: stack.APIURL(), APIKey: key, Events: in.Events, Progress: progress,
	})
	if progress != nil {
		fmt.Fprintln(progress)
	}
	if err != nil {
		return Result{}, fmt.Errorf("replay: %w", err)
	}
	if err := stack.WaitSettled(ctx, 1500*time.Millisecond); err != nil {
		return Result{}, fmt.Errorf("wait for totals to settle: %w", err)
	}
	settle := stack.LastActivity().Sub(stats.LastAcceptedAt)

	res := Result{Source: in.Source, Replay: summarize(stats), Settle: settle.Seconds()}
	if res.Writes, err = countWrites(logPath, offset); err != nil {
		return Result{}, err
	}
	res.Writes.PerEvent = ratio(res.Writes.Claims+res.Writes.Rows+res.Writes.Reach,
		stats.Accepted)
	if res.Campaigns, err = readTotals(ctx, stack, tenant, in.Events); err != nil {
		return Result{}, err
	}
	res.Problems = compare(res.Campaigns, in.Expected)
	return res, nil
}

func summarize(s replay.Stats) ReplaySummary {
	return ReplaySummary{
		Events: s.Sent, Accepted: s.Accepted, Rejected: s.Rejected, Failed: s.Failed,
		Requests: s.Requests, Seconds: s.Duration.Seconds(), EventsPerSecond: s.EventsPerSecond,
		P50Millis: float64(s.P50.Microseconds()) / 1000,
		P99Millis: float64(s.P99.Microseconds()) / 1000,
	}
}

// readTotals reads the totals of every campaign that appears in the events.
func readTotals(ctx context.Context, stack *devstack.Stack, tenant string,
	evs []event.Event) ([]CampaignTotal, error) {
	ids := map[string]bool{}
	for i := range evs {
		ids[evs[i].CampaignID] = true
	}
	reader := &totals.Reader{
		DB:    dynamodb.NewFromConfig(kumo.Config(stack.Endpoint())),
		Table: stack.Physical("Aggregates"),
	}

	out := make([]CampaignTotal, 0, len(ids))
	for id := range ids {
		c, err := reader.Campaign(ctx, tenant, id)
		if err != nil {
			return nil, err
		}
		out = append(out, CampaignTotal{CampaignID: id, Counters: c.Totals})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CampaignID < out[j].CampaignID })
	return out, nil
}

// compare lists every difference between the totals read and the expected ones.
func compare(got []CampaignTotal, want map[string]traffic.Totals) []string {
	if want == nil {
		return nil
	}
	var problems []string
	seen := map[string]bool{}
	for _, c := range got {
		seen[c.CampaignID] = true
		w, ok := want[c.CampaignID]
		if !ok {
			problems = append(problems, c.CampaignID+": not expected at all")
			continue
		}
		g := traffic.Totals{Impressions: c.Impressions, Clicks: c.Clicks,
			Conversions: c.Conversions, SpendMicros: c.Spend[w.Currency],
			ValueMicros: c.Value[w.Currency], Currency: w.Currency}
		if g != w {
			problems = append(problems, fmt.Sprintf("%s: got %+v, want %+v", c.CampaignID, g, w))
		}
	}
	for id := range want {
		if !seen[id] {
			problems = append(problems, id+": expected but has no totals")
		}
	}
	sort.Strings(problems)
	return problems
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
