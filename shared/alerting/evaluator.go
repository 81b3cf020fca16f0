package alerting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/notify"
	"github.com/adpulse/adpulse/shared/rules"
	"github.com/adpulse/adpulse/shared/staleread"
	"github.com/adpulse/adpulse/shared/totals"
)

// CampaignRef names one campaign of one tenant.
type CampaignRef struct {
	TenantID, CampaignID string
}

// Campaigns reads campaign settings (status, timezone, budget, name).
type Campaigns interface {
	Get(ctx context.Context, tenant, id string) (campaign.Campaign, error)
}

// SQSAPI is the part of the SQS client the evaluator uses.
type SQSAPI interface {
	SendMessage(context.Context, *sqs.SendMessageInput, ...func(*sqs.Options)) (
		*sqs.SendMessageOutput, error)
}

// Evaluator steps the rules of changed campaigns and enqueues their notifications.
type Evaluator struct {
	Rules     *rules.Cache
	States    *rules.Store
	Campaigns Campaigns
	Totals    *totals.Reader
	Queue     SQSAPI
	QueueURL  string
	LinkBase  string // e.g. https://app.example.com; the link is <base>/campaigns/<id>
	Now       func() time.Time
	Log       *slog.Logger

	once      sync.Once
	campaigns *staleread.Cache[CampaignRef, campaign.Campaign]
}

// campaignTTL is how long campaign settings are cached: a pause takes effect on the
// stream within this time.
const campaignTTL = 30 * time.Second

// Evaluate evaluates every rule of the given campaigns and returns the campaigns whose
// evaluation failed, so that the caller can have their records delivered again.
func (e *Evaluator) Evaluate(ctx context.Context, changed []CampaignRef) []CampaignRef {
	var (
		mu     sync.Mutex
		failed []CampaignRef
		wg     sync.WaitGroup
		sem    = make(chan struct{}, 8)
	)
	for _, ref := range changed {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := e.campaign(ctx, ref); err != nil {
				e.Log.WarnContext(ctx, "rule evaluation failed", "tenant", ref.TenantID,
					"campaign", ref.CampaignID, "err", err)
				mu.Lock()
				failed = append(failed, ref)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return failed
}

// campaign evaluates the rules of one campaign.
func (e *Evaluator) campaign(ctx context.Context, ref CampaignRef) error {
	rs, err := e.Rules.Rules(ctx, ref.TenantID, ref.CampaignID)
	if err != nil || len(rs) == 0 {
		return err
	}
	c, err := e.settings(ctx, ref)
	if err != nil {
		return err
	}
	now := e.Now().UTC()
	snap, err := e.snapshot(ctx, ref, c, rs, now)
	if err != nil {
		return err
	}
	states, err := e.States.States(ctx, ref.TenantID, ref.CampaignID)
	if err != nil {
		return fmt.Errorf("read rule states: %w", err)
	}

	var errs []error
	for i := range rs {
		if err := e.step(ctx, ref, c, &rs[i], states[rs[i].ID], &snap, now); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// step moves one rule; a firing or resolve notice is sent before the state is claimed.
func (e *Evaluator) step(ctx context.Context, ref CampaignRef, c campaign.Campaign, r *rules.Rule,
	st rules.State, snap *rules.Snapshot, now time.Time) error {
	next, action := rules.Evaluate(r, st, snap, now)
	if action == rules.None && next.Equal(st) {
		return nil
	}
	if action != rules.None {
		n := e.notification(ref, c, r, next, action, snap, now)
		if err := e.send(ctx, n); err != nil {
			return err
		}
		e.Log.InfoContext(ctx, "rule "+string(action), "tenant", ref.TenantID,
			"campaign", ref.CampaignID, "rule", r.ID, "notification", n.ID)
	}
	_, err := e.States.ClaimTransition(ctx, ref.TenantID, r.ID, ref.CampaignID, st, next)
	if errors.Is(err, rules.ErrConflict) {
		return nil // another evaluation moved it first; its notification has our id
	}
	return err
}

// settings returns the campaign, cached; a campaign with no record (events may name
// campaigns never created through the API) is taken as active, in UTC, without budget.
// When the campaigns table fails, the settings last read stand in (shared/staleread),
// with a warning, rather than failing the campaign's rules.
func (e *Evaluator) settings(ctx context.Context, ref CampaignRef) (campaign.Campaign, error) {
	e.once.Do(func() {
		e.campaigns = staleread.New("campaigns store", e.readCampaign,
			staleread.Options{TTL: campaignTTL, Now: e.Now})
	})
	c, stale, staleErr, err := e.campaigns.Get(ctx, ref)
	if err != nil {
		return campaign.Campaign{}, fmt.Errorf("read campaign: %w", err)
	}
	if stale {
		e.Log.WarnContext(ctx, "campaign settings served stale", "tenant", ref.TenantID,
			"campaign", ref.CampaignID, "err", staleErr.Error())
	}
	return c, nil
}

// readCampaign reads a campaign's settings from the store.
func (e *Evaluator) readCampaign(ctx context.Context, ref CampaignRef) (campaign.Campaign,
	error) {
	c, err := e.Campaigns.Get(ctx, ref.TenantID, ref.CampaignID)
	if errors.Is(err, campaign.ErrNotFound) {
		c = campaign.Campaign{ID: ref.CampaignID, Status: campaign.Active}
		c.Name = ref.CampaignID
		return c, nil
	}
	return c, err
}

// snapshot reads the totals the rules need: lifetime always, minute buckets only when a
// rule looks at today or at the last minutes.
func (e *Evaluator) snapshot(ctx context.Context, ref CampaignRef, c campaign.Campaign,
	rs []rules.Rule, now time.Time) (rules.Snapshot, error) {
	life, err := e.Totals.Campaign(ctx, ref.TenantID, ref.CampaignID)
	if err != nil {
		return rules.Snapshot{}, err
	}

	var minutes []totals.Bucket
	windows := rules.Windows(rs)
	if from, ok := earliest(rs, windows, c, now); ok {
		minutes, err = e.Totals.Buckets(ctx, ref.TenantID, ref.CampaignID, totals.Minute, from,
			now.Add(time.Minute))
		if err != nil {
			return rules.Snapshot{}, err
		}
	}
	snap := rules.NewSnapshot(c, life.Totals, minutes, windows, now)
	if snap.Currency == "" {
		if curs := life.Totals.Currencies(); len(curs) == 1 {
			snap.Currency = curs[0]
		}
	}
	return snap, nil
}

// earliest is the start of the oldest minute any rule looks at, if any rule needs minutes.
func earliest(rs []rules.Rule, windows []int, c campaign.Campaign, now time.Time) (
	time.Time, bool) {
	var from time.Time
	need := false
	for _, r := range rs {
		for _, cond := range r.Conditions {
			if cond.Scope == rules.Today {
				tz := time.UTC
				if c.Schedule != nil {
					if loc, err := time.LoadLocation(c.Schedule.Timezone); err == nil {
						tz = loc
					}
				}
				if d := rules.DayStart(now, tz); !need || d.Before(from) {
					from, need = d, true
				}
			}
		}
	}
	for _, n := range windows {
		if w := rules.WindowStart(now, n); !need || w.Before(from) {
			from, need = w, true
		}
	}
	return from, need
}

func (e *Evaluator) notification(ref CampaignRef, c campaign.Campaign, r *rules.Rule,
	st rules.State, action rules.Action, snap *rules.Snapshot, now time.Time) notify.Notification {
	kind := notify.KindFire
	if action == rules.Resolve {
		kind = notify.KindResolve
	}
	values := map[string]float64{}
	var conds []string
	for _, res := range rules.Explain(r, snap) {
		values[string(res.Condition.Metric)] = res.Value
		conds = append(conds, describe(res))
	}
	n := notify.Notification{
		Version: 1, ID: rules.NotificationID(ref.TenantID, r.ID, ref.CampaignID, st.Episode,
			action),
		Kind: kind, Episode: st.Episode, TenantID: ref.TenantID, RuleID: r.ID,
		RuleName: r.Name, CampaignID: ref.CampaignID, CampaignName: c.Name,
		Currency: snap.Currency, Values: values,
		Conditions: strings.Join(conds, " "+strings.ToUpper(string(r.Join))+" "),
		FiredAt:    now,
		Link:       strings.TrimSuffix(e.LinkBase, "/") + "/campaigns/" + ref.CampaignID,
		Template: notify.Template{Subject: r.Template.Subject, Text: r.Template.Text,
			HTML: r.Template.HTML},
	}
	for i, ch := range r.Channels {
		nc := notify.Channel{Index: i, Type: notify.ChannelType(ch.Type), To: ch.To, URL: ch.URL}
		if ch.SecretID != "" {
			nc.SecretIDs = []string{ch.SecretID}
		}
		n.Channels = append(n.Channels, nc)
	}
	sort.Slice(n.Channels, func(i, j int) bool {
		return n.Channels[i].Index < n.Channels[j].Index
	})
	return n
}

func describe(res rules.Result) string {
	c := res.Condition
	scope := string(c.Scope)
	if c.Scope == rules.LastMinutes {
		scope = fmt.Sprintf("last %d minutes", c.Minutes)
	}
	return fmt.Sprintf("%s %s %g (%s; now %g)", c.Metric, c.Op, c.Threshold, scope, res.Value)
}

func (e *Evaluator) send(ctx context.Context, n notify.Notification) error {
	body, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("encode notification: %w", err)
	}
	_, err = e.Queue.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl: aws.String(e.QueueURL), MessageBody: aws.String(string(body)),
	})
	if err != nil {
		return fmt.Errorf("enqueue notification %s: %w", n.ID, err)
	}
	return nil
}
