package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/adpulse/adpulse/devstack"
	"github.com/adpulse/adpulse/devstack/scenario"
	"github.com/adpulse/adpulse/devstack/webhookrecv"
	"github.com/adpulse/adpulse/shared/traffic"
)

// demoAlertSpend is the demo rules' threshold: lifetime spend of 5 units of the
// campaign's currency (5 CNY for the iPinYou advertiser), in micros.
const demoAlertSpend = 5_000_000

// demoAlertEmail is where the demo rules send their email; kumo's SES keeps it.
const demoAlertEmail = "ops@demo.example"

// alertDemo is the demo rule set of make run: one campaign created through the API for
// each campaign of the input (the API makes cmp_… ids; the events are rewritten to
// them), and on each a rule "spend >= 5" notifying demoAlertEmail and the local webhook
// receiver.
type alertDemo struct {
	recv    *webhookrecv.Receiver
	renamed map[string]string // input campaign id → API campaign id
	rules   int
}

// nameBySource shows each campaign under the id its events had in the input (2821 for the
// iPinYou logs), with the id the management API gave it beside.
func (d *alertDemo) nameBySource(rows []scenario.CampaignTotal) {
	for i := range rows {
		for src, api := range d.renamed {
			if rows[i].CampaignID == api {
				rows[i].CampaignID, rows[i].APICampaignID = src, api
			}
		}
	}
}

// setupAlerts signs the demo admin in, creates the campaigns and rules, and rewrites the
// campaign ids of in.
func setupAlerts(ctx context.Context, stack *devstack.Stack, email, password string,
	in *scenario.Input) (*alertDemo, error) {
	recv, err := webhookrecv.Start("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	d := &alertDemo{recv: recv, renamed: map[string]string{}}
	api := demoAPI{base: stack.APIURL()}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := api.call(ctx, "POST", "/v1/auth/login", "", map[string]string{
		"email": email, "password": password}, &tok); err != nil {
		return d, err
	}

	for _, id := range campaignsOf(in) {
		cmp, err := d.createCampaign(ctx, api, tok.AccessToken, id, currencyOf(in, id))
		if err != nil {
			return d, err
		}
		d.renamed[id] = cmp
	}
	for i := range in.Events {
		in.Events[i].CampaignID = d.renamed[in.Events[i].CampaignID]
	}
	if in.Expected != nil {
		expected := make(map[string]traffic.Totals, len(in.Expected))
		for id, t := range in.Expected {
			expected[d.renamed[id]] = t
		}
		in.Expected = expected
	}
	return d, nil
}

// createCampaign creates an active campaign for input campaign id, with a rule on it.
func (d *alertDemo) createCampaign(ctx context.Context, api demoAPI, token, id,
	currency string) (string, error) {
	var cmp struct {
		ID string `json:"id"`
	}
	err := api.call(ctx, "POST", "/v1/campaigns", token, map[string]any{
		"name": "Campaign " + id, "brand_id": "demo", "objectives": []string{"sales"},
		"channels": []string{"display"},
		"budget":   map[string]any{"total_micros": 100_000_000_000, "currency": currency},
		"schedule": map[string]any{"start": "2013-01-01T00:00:00Z", "timezone": "UTC"},
	}, &cmp)
	if err != nil {
		return "", err
	}
	if err := api.call(ctx, "PATCH", "/v1/campaigns/"+cmp.ID+"/status", token,
		map[string]string{"status": "active"}, nil); err != nil {
		return "", err
	}
	var rule struct {
		NewSecrets map[string]string `json:"new_secrets"`
	}
	err = api.call(ctx, "POST", "/v1/rules", token, map[string]any{
		"name": "Spend 5 " + currency + " on " + id, "campaign_id": cmp.ID,
		"conditions": []map[string]any{{"metric": "spend", "op": ">=",
			"threshold": demoAlertSpend, "scope": "lifetime"}},
		"channels": []map[string]any{
			{"type": "email", "to": []string{demoAlertEmail}},
			{"type": "webhook", "url": d.recv.URL() + "/hooks/" + id}},
	}, &rule)
	if err != nil {
		return "", err
	}
	for _, secret := range rule.NewSecrets {
		d.recv.AddSecret(secret)
	}
	d.rules++
	return cmp.ID, nil
}

// print waits for the notifications in flight and prints the emails SES accepted and
// the webhooks the receiver got, with their signature check.
func (d *alertDemo) print(ctx context.Context, stack *devstack.Stack, w io.Writer) error {
	defer d.recv.Close()
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := stack.WaitSettled(wctx, 2*time.Second); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nAlerts: %d rule(s) \"spend >= 5\" (lifetime) on", d.rules)
	ids := make([]string, 0, len(d.renamed))
	for id := range d.renamed {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		fmt.Fprintf(w, " %s (%s)", id, d.renamed[id])
	}
	fmt.Fprintln(w)

	mails, err := stack.SentEmails(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Emails SES accepted (kumo %s/kumo/ses/v2/sent-emails): %d\n",
		stack.Endpoint(), len(mails))
	for _, m := range mails {
		fmt.Fprintf(w, "  %s  to %s  from %s  %q\n", m.SentAt.UTC().Format(time.TimeOnly),
			strings.Join(m.Destination.ToAddresses, ","), m.From, m.Subject)
	}
	hooks := d.recv.Deliveries()
	fmt.Fprintf(w, "Webhooks received at %s: %d\n", d.recv.URL(), len(hooks))
	for _, h := range hooks {
		check := "signature valid"
		if !h.Verified {
			check = "SIGNATURE INVALID: " + h.Err
		} else if h.Duplicate {
			check += ", duplicate webhook-id"
		}
		var body struct {
			Type string `json:"type"`
			Data struct {
				Values map[string]float64 `json:"values"`
				Cur    string             `json:"currency"`
			} `json:"data"`
		}
		_ = json.Unmarshal(h.Body, &body)
		fmt.Fprintf(w, "  %s  %s  %s  %s spend %.2f %s  (%s)\n",
			h.Received.UTC().Format(time.TimeOnly), h.Path, h.ID, body.Type,
			body.Data.Values["spend"]/1e6, body.Data.Cur, check)
	}
	return nil
}

// campaignsOf returns the campaign ids of the input's events, sorted.
func campaignsOf(in *scenario.Input) []string {
	seen := map[string]bool{}
	var ids []string
	for i := range in.Events {
		if id := in.Events[i].CampaignID; !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// currencyOf returns the first currency the events of campaign id carry money in.
func currencyOf(in *scenario.Input, id string) string {
	for i := range in.Events {
		if e := &in.Events[i]; e.CampaignID == id && e.Currency != "" {
			return e.Currency
		}
	}
	return "EUR"
}

// demoAPI calls the stack's management API.
type demoAPI struct{ base string }

// call sends body as JSON with the bearer token (if any) and decodes a 2xx answer into
// out (if not nil).
func (a demoAPI) call(ctx context.Context, method, path, token string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %.300s", method, path, resp.Status, raw)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}
