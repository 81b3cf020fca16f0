package capping_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/adpulse/adpulse/shared/capping"
	"github.com/adpulse/adpulse/shared/event"
	"github.com/adpulse/adpulse/shared/ipinyou"
)

// ipinyouDir finds ../shared/data/ipinyou from the repository root (or $IPINYOU_DIR);
// missing data fails on CI and skips elsewhere.
func ipinyouDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("IPINYOU_DIR")
	if dir == "" {
		root, err := filepath.Abs("../..")
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, "../shared/data/ipinyou")
	}
	if files, err := ipinyou.LogFiles(dir); err != nil || len(files) == 0 {
		msg := "iPinYou data not found in " + dir + " (set IPINYOU_DIR)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dir
}

// TestIPinYouReplay replays the iPinYou impressions in time order with a cap of 2 per
// person per ad per day (calendar days in Asia/Shanghai, the logs' own time zone). Before
// counting each impression it asks for a decision, and checks it against counts computed
// from the files: refused exactly when the person already saw the ad twice that day.
func TestIPinYouReplay(t *testing.T) {
	all, err := ipinyou.ReadDir(ipinyouDir(t))
	if err != nil {
		t.Fatal(err)
	}
	shanghai := mustLoad(t, "Asia/Shanghai")

	// Every ad of the logs carries the cap; the advertiser is the campaign.
	var imps []event.Event
	configs := capping.Static{}
	ads := map[string]map[string][]capping.Cap{}
	for _, e := range all {
		if e.Type != event.Impression {
			continue
		}
		imps = append(imps, e)
		if ads[e.CampaignID] == nil {
			ads[e.CampaignID] = map[string][]capping.Cap{}
		}
		ads[e.CampaignID][e.AdID] = []capping.Cap{{Count: 2, Window: capping.Day}}
	}
	for c, m := range ads {
		configs[tenant+"#"+c] = capping.NewConfig(capping.CampaignCaps{}, m, shanghai)
	}

	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			if testing.Short() && be.name != "memory" {
				t.Skip("short: the replay on kumo takes about 20 s")
			}
			replay(t, be.store, configs, imps, shanghai)
		})
	}
}

func replay(t *testing.T, store capping.Store, configs capping.Static, imps []event.Event,
	loc *time.Location) {
	ctx := context.Background()
	counter := &capping.Counter{Store: store, Configs: configs, Now: time.Now}
	decider := &capping.Decider{Store: store, Configs: configs, Now: time.Now}
	seen := map[string]int{}     // person|ad|local day -> distinct impressions so far
	counted := map[string]bool{} // event ids already counted
	var refused, allowed, dups int
	for i := range imps {
		e := &imps[i]
		person := e.UserID + "|" + e.DeviceID
		key := person + "|" + e.CampaignID + "|" + e.AdID + "|" +
			e.OccurredAt.In(loc).Format("2006-01-02")
		ids := capping.Identifiers{UserID: e.UserID, DeviceID: e.DeviceID}

		out, st := decider.Decide(ctx, tenant, &capping.Request{Identifiers: ids,
			Candidates: []capping.Candidate{{CampaignID: e.CampaignID, AdID: e.AdID}},
			At:         &e.OccurredAt})
		if st.Err != nil {
			t.Fatalf("decide: %v", st.Err)
		}
		want := seen[key] < 2
		if out[0].Allowed != want {
			t.Fatalf("impression %d (%s): allowed=%v after %d that day, want %v",
				i, e.EventID, out[0].Allowed, seen[key], want)
		}
		if want {
			allowed++
		} else {
			refused++
		}

		res, err := counter.Count(ctx, []capping.Impression{
			capping.FromEvent(tenant, "shard-0/"+e.EventID+"/0", e)})
		if err != nil {
			t.Fatalf("count: %v", err)
		}
		if counted[e.EventID] {
			dups++
			if res.AlreadyCounted != 1 {
				t.Fatalf("duplicate %s counted again: %+v", e.EventID, res)
			}
			continue
		}
		counted[e.EventID] = true
		seen[key]++
	}
	t.Logf("%d impressions (%d duplicate deliveries): %d decisions allowed, %d refused",
		len(imps), dups, allowed, refused)
	if refused == 0 {
		t.Errorf("no decision was refused: the replay did not exercise the cap")
	}
}
