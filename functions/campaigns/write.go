package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/httpapi"
)

const (
	jsonType       = "application/json"
	mergePatchType = "application/merge-patch+json"
)

// retryPolicy bounds the optimistic retries of a write that lost a race: at most
// attempts tries, a pause before each retry drawn at random up to base·2^(n-1) but not
// over max (full jitter, so that racing writers spread out), and no retry once the
// request's deadline is closer than margin plus the pause.
type retryPolicy struct {
	attempts  int
	base, max time.Duration
	margin    time.Duration
}

// defaultRetry suits the function's 10 s timeout: 16 attempts pause at most 2.3 s in
// all (1.2 s on average), and a retry never starts within 2 s of the deadline.
var defaultRetry = retryPolicy{attempts: 16, base: 10 * time.Millisecond,
	max: 200 * time.Millisecond, margin: 2 * time.Second}

// backoff is the random pause before the retry that follows attempt (1 = the first).
func (p retryPolicy) backoff(attempt int) time.Duration {
	ceiling := p.max
	if attempt <= 30 && p.base<<(attempt-1) < p.max {
		ceiling = p.base << (attempt - 1)
	}
	if ceiling <= 0 {
		return 0
	}
	return rand.N(ceiling + 1)
}

// again reports whether another attempt may follow attempt after a pause.
func (p retryPolicy) again(ctx context.Context, attempt int, pause time.Duration) bool {
	if attempt >= p.attempts {
		return false
	}
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) > p.margin+pause
}

// policy is the handler's retry policy, defaultRetry unless a test set one.
func (h *Handler) policy() retryPolicy {
	if h.retry.attempts == 0 {
		return defaultRetry
	}
	return h.retry
}

// create answers POST /v1/campaigns, honouring Idempotency-Key.
func (h *Handler) create(c *call) events.APIGatewayProxyResponse {
	body, refused := c.body(jsonType)
	if refused != nil {
		return *refused
	}
	key, sent := httpapi.LookupHeader(c.req, "Idempotency-Key")
	if sent && !validKey(key) { // an empty key is refused, not taken for none
		return c.resp.Invalid([]httpapi.FieldError{{Field: "Idempotency-Key",
			Reason: "must be 1 to 255 printable ASCII characters"}})
	}
	hash := campaign.BodyHash(body)
	if key != "" {
		if out, done := h.replay(c, key, hash); done {
			return out
		}
	}

	spec, err := campaign.DecodeSpec(body)
	if err != nil {
		return c.fail(err)
	}
	cmp := campaign.New(c.who.TenantID, c.who.UserID, spec, h.Store.Now())
	c.id = cmp.ID
	location := "/v1/campaigns/" + cmp.ID
	out := c.resp.JSON(http.StatusCreated, cmp, map[string]string{
		"Location": location, "ETag": campaign.ETag(cmp.ID, cmp.Version)})

	var rec *campaign.Replay
	if key != "" {
		rec = &campaign.Replay{Key: key, BodyHash: hash, Status: out.StatusCode, Body: out.Body,
			Headers: map[string]string{"Location": location, "ETag": out.Headers["ETag"]}}
	}
	err = h.Store.Create(c.ctx, cmp, rec)
	if errors.Is(err, campaign.ErrKeyInUse) {
		// A concurrent request with the same key won the race.
		if out, done := h.replay(c, key, hash); done {
			return out
		}
	}
	if err != nil {
		return c.fail(err)
	}
	return out
}

// replay answers a POST whose Idempotency-Key was seen before: the first answer again
// for the same body, 422 for another. done is false when the key is new.
func (h *Handler) replay(c *call, key, hash string) (events.APIGatewayProxyResponse, bool) {
	rec, err := h.Store.Replay(c.ctx, c.who.TenantID, key)
	if err != nil {
		return c.fail(err), true
	}
	if rec == nil {
		return events.APIGatewayProxyResponse{}, false
	}
	if rec.BodyHash != hash {
		return c.resp.Error(http.StatusUnprocessableEntity, "idempotency_key_reused",
			"this Idempotency-Key was used with a different body"), true
	}
	extra := map[string]string{"Idempotent-Replayed": "true"}
	for k, v := range rec.Headers {
		extra[k] = v
	}
	out := c.resp.JSON(rec.Status, nil, extra)
	out.Body = rec.Body
	return out, true
}

// validKey reports whether an Idempotency-Key holds 1 to 255 printable ASCII
// characters.
func validKey(k string) bool {
	if len(k) < 1 || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// modify is the read-check-write cycle of every change to one campaign: read it, check
// If-Match, apply fn, write conditionally on the version read. A write with a specific
// ETag in If-Match that loses the race answers 412. A write without a precondition (no
// If-Match, or "*") runs the cycle again on the newer version, under the retry policy;
// if contention outlasts it, the answer is errContention, never a 412. A write refused
// because another transaction was in flight (ErrBusy) is retried in either case.
func (h *Handler) modify(c *call, action string,
	fn func(cur campaign.Campaign) (campaign.Campaign, error)) (campaign.Campaign, error) {
	ifMatch := httpapi.Header(c.req, "If-Match")
	anyVersion := ifMatch == "" || campaign.IfMatchAny(ifMatch)
	policy := h.policy()
	for attempt := 1; ; attempt++ {
		cur, err := h.Store.Get(c.ctx, c.who.TenantID, c.id)
		if err != nil {
			return campaign.Campaign{}, err
		}
		if !anyVersion && !campaign.IfMatch(ifMatch, campaign.ETag(cur.ID, cur.Version)) {
			return campaign.Campaign{}, errPrecondition
		}
		next, err := fn(cur)
		if err != nil {
			return campaign.Campaign{}, err
		}
		saved, err := h.Store.Update(c.ctx, cur, next, c.who.UserID, action)
		switch {
		case errors.Is(err, campaign.ErrVersionConflict) && !anyVersion:
			return campaign.Campaign{}, errPrecondition
		case !errors.Is(err, campaign.ErrVersionConflict) && !errors.Is(err, campaign.ErrBusy):
			return saved, err
		}
		pause := policy.backoff(attempt)
		if !policy.again(c.ctx, attempt, pause) {
			return campaign.Campaign{}, fmt.Errorf("%s after %d attempts: %w", action, attempt,
				errContention)
		}
		select {
		case <-time.After(pause):
		case <-c.ctx.Done():
			return campaign.Campaign{}, fmt.Errorf("%s: %w", action, c.ctx.Err())
		}
	}
}

// editable refuses changes to archived campaigns.
func editable(cur campaign.Campaign) error {
	if cur.Status == campaign.Archived {
		return errArchived
	}
	return nil
}

// replace answers PUT /v1/campaigns/{id}: the body replaces every client field.
func (h *Handler) replace(c *call) events.APIGatewayProxyResponse {
	body, refused := c.body(jsonType)
	if refused != nil {
		return *refused
	}
	spec, err := campaign.DecodeSpec(body)
	if err != nil {
		return c.fail(err)
	}
	saved, err := h.modify(c, "replace", func(cur campaign.Campaign) (campaign.Campaign, error) {
		cur.Spec = spec
		return cur, editable(cur)
	})
	if err != nil {
		return c.fail(err)
	}
	return c.withETag(http.StatusOK, saved, saved)
}

// patch answers PATCH /v1/campaigns/{id} with a JSON Merge Patch body.
func (h *Handler) patch(c *call) events.APIGatewayProxyResponse {
	body, refused := c.body(mergePatchType, jsonType)
	if refused != nil {
		return *refused
	}
	saved, err := h.modify(c, "patch", func(cur campaign.Campaign) (campaign.Campaign, error) {
		if err := editable(cur); err != nil {
			return cur, err
		}
		spec, err := campaign.Patch(cur.Spec, body)
		cur.Spec = spec
		return cur, err
	})
	if err != nil {
		return c.fail(err)
	}
	return c.withETag(http.StatusOK, saved, saved)
}

// archive answers DELETE /v1/campaigns/{id}: the campaign moves to archived and the
// answer is 200 with it. Deleting an archived campaign changes nothing and answers the
// same.
func (h *Handler) archive(c *call) events.APIGatewayProxyResponse {
	saved, err := h.modify(c, "archive", func(cur campaign.Campaign) (campaign.Campaign, error) {
		if cur.Status == campaign.Archived {
			return cur, nil
		}
		cur.Status = campaign.Archived
		return cur, nil
	})
	if err != nil {
		return c.fail(err)
	}
	return c.withETag(http.StatusOK, saved, saved)
}

// setStatus answers PATCH /v1/campaigns/{id}/status with {"status": "..."}. A move to
// the status the campaign has is no move: the answer is 200 with the campaign unchanged
// (no new version, no history entry), so a retried status change succeeds again.
func (h *Handler) setStatus(c *call) events.APIGatewayProxyResponse {
	body, refused := c.body(mergePatchType, jsonType)
	if refused != nil {
		return *refused
	}
	var in struct {
		Status *campaign.Status `json:"status"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return c.fail(campaign.ErrBadJSON)
	}
	if in.Status == nil || !in.Status.Valid() {
		return c.resp.Invalid([]httpapi.FieldError{{Field: "status",
			Reason: "must be one of: draft, active, paused, completed, archived"}})
	}
	to := *in.Status
	saved, err := h.modify(c, "status", func(cur campaign.Campaign) (campaign.Campaign, error) {
		if cur.Status == to {
			return cur, nil // the store writes nothing when nothing changed
		}
		if err := campaign.Transition(cur.Status, to); err != nil {
			return cur, err
		}
		cur.Status = to
		return cur, nil
	})
	if err != nil {
		return c.fail(err)
	}
	return c.withETag(http.StatusOK, saved, saved)
}

// putTargeting answers PUT /v1/campaigns/{id}/targeting: the body replaces the
// targeting; field errors name paths under "targeting.".
func (h *Handler) putTargeting(c *call) events.APIGatewayProxyResponse {
	body, refused := c.body(jsonType)
	if refused != nil {
		return *refused
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(body, &probe); err != nil || probe == nil {
		return c.fail(campaign.ErrBadJSON)
	}
	saved, err := h.modify(c, "targeting", func(cur campaign.Campaign) (campaign.Campaign, error) {
		if err := editable(cur); err != nil {
			return cur, err
		}
		cur.Targeting = nil
		whole, err := json.Marshal(cur.Spec)
		if err != nil {
			return cur, err
		}
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(whole, &doc); err != nil {
			return cur, err
		}
		doc["targeting"] = body
		if whole, err = json.Marshal(doc); err != nil {
			return cur, err
		}
		cur.Spec, err = campaign.DecodeSpec(whole)
		return cur, err
	})
	if err != nil {
		return c.fail(err)
	}
	return c.withETag(http.StatusOK, targetingOf(saved), saved)
}

func targetingOf(cmp campaign.Campaign) campaign.Targeting {
	if cmp.Targeting == nil {
		return campaign.Targeting{}
	}
	return *cmp.Targeting
}
