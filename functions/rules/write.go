package main

import (
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/shared/campaign"
	"github.com/adpulse/adpulse/shared/httpapi"
	"github.com/adpulse/adpulse/shared/rules"
)

// conflictRetries is how often a write without If-Match re-reads and re-applies itself
// when another write got in between its read and its write.
const conflictRetries = 3

// answer is a rule as API answers show it, plus the secrets made by this request,
// by secret_id (shown once, never again).
type answer struct {
	rules.Rule
	NewSecrets map[string]string `json:"new_secrets,omitempty"`
}

// check runs the checks DecodeSpec cannot: destinations (DNS) and the campaign, which
// must be one of the caller's tenant. decodeErr is DecodeSpec's error; every failing
// field of all checks is reported together.
func (h *Handler) check(c *call, spec *rules.Spec, decodeErr error) error {
	var fields []httpapi.FieldError
	var ve *rules.ValidationError
	switch {
	case errors.As(decodeErr, &ve):
		fields = append(fields, ve.Fields...)
	case decodeErr != nil:
		return decodeErr
	}
	fields = append(fields, rules.CheckDestinations(c.ctx, spec, h.Resolver)...)
	if spec.CampaignID != "" && !failing(fields, "campaign_id") {
		_, err := h.Campaigns.Get(c.ctx, c.who.TenantID, spec.CampaignID)
		switch {
		case errors.Is(err, campaign.ErrNotFound):
			fields = append(fields, httpapi.FieldError{Field: "campaign_id",
				Reason: "is not a campaign of yours"})
		case err != nil:
			return err
		}
	}
	if len(fields) > 0 {
		return &fieldsError{fields: sorted(fields)}
	}
	return nil
}

func failing(fields []httpapi.FieldError, name string) bool {
	for _, f := range fields {
		if f.Field == name {
			return true
		}
	}
	return false
}

// sorted returns the fields ordered by name, as every field list is.
func sorted(fields []httpapi.FieldError) []httpapi.FieldError {
	out := slices.Clone(fields)
	slices.SortStableFunc(out, func(a, b httpapi.FieldError) int {
		return strings.Compare(a.Field, b.Field)
	})
	return out
}

// create answers POST /v1/rules: 201 with the rule, its new webhook secrets (once),
// Location and ETag.
func (h *Handler) create(c *call) events.APIGatewayProxyResponse {
	body, refused := c.body(jsonType)
	if refused != nil {
		return *refused
	}
	spec, err := rules.DecodeSpec(body)
	if err = h.check(c, &spec, err); err != nil {
		return c.fail(err)
	}
	existing, err := h.Rules.List(c.ctx, c.who.TenantID)
	if err != nil {
		return c.fail(err)
	}
	if len(existing) >= maxRulesPerTenant {
		return c.fail(errLimit)
	}

	now := h.Rules.Now()
	secrets, fields, err := rules.AssignSecrets(nil, &spec, now)
	if err != nil {
		return c.fail(err)
	}
	if len(fields) > 0 {
		return c.resp.Invalid(fields)
	}
	r := rules.New(c.who.TenantID, c.who.UserID, spec, now)
	c.id = r.ID
	if err := h.Rules.Create(c.ctx, r); err != nil {
		return c.fail(err)
	}
	out := c.withETag(http.StatusCreated, answer{Rule: r.Public(), NewSecrets: secrets}, r)
	out.Headers["Location"] = "/v1/rules/" + r.ID
	return out
}

// modify is the read-check-write cycle of every change to one rule: read it, check
// If-Match, apply fn, write conditionally on the version read. With If-Match a lost
// race answers 412; without it the cycle runs again on the newer version. fn returns
// the new rule and the secrets it made; a rule fn leaves unchanged is not written.
func (h *Handler) modify(c *call,
	fn func(cur rules.Rule) (rules.Rule, map[string]string, error)) (answer, error) {
	ifMatch := httpapi.Header(c.req, "If-Match")
	for attempt := 1; ; attempt++ {
		cur, err := h.Rules.Get(c.ctx, c.who.TenantID, c.id)
		if err != nil {
			return answer{}, err
		}
		if ifMatch != "" && !campaign.IfMatch(ifMatch, campaign.ETag(cur.ID, cur.Version)) {
			return answer{}, errPrecondition
		}
		next, secrets, err := fn(cur)
		if err != nil {
			return answer{}, err
		}
		if reflect.DeepEqual(cur.Spec, next.Spec) {
			return answer{Rule: cur}, nil
		}
		saved, err := h.Rules.Update(c.ctx, cur, next, c.who.UserID)
		if errors.Is(err, rules.ErrConflict) && ifMatch == "" && attempt < conflictRetries {
			continue
		}
		return answer{Rule: saved, NewSecrets: secrets}, err
	}
}

// apply is the common end of PUT and PATCH: the new spec gets the checks and the
// secrets of the current rule's webhook channels that it names.
func (h *Handler) apply(c *call, cur rules.Rule, spec rules.Spec,
	decodeErr error) (rules.Rule, map[string]string, error) {
	if err := h.check(c, &spec, decodeErr); err != nil {
		return cur, nil, err
	}
	secrets, fields, err := rules.AssignSecrets(&cur.Spec, &spec, h.Rules.Now())
	if err != nil {
		return cur, nil, err
	}
	if len(fields) > 0 {
		return cur, nil, &fieldsError{fields: fields}
	}
	cur.Spec = spec
	return cur, secrets, nil
}

// replace answers PUT /v1/rules/{id}: the body replaces every client field.
func (h *Handler) replace(c *call) events.APIGatewayProxyResponse {
	body, refused := c.body(jsonType)
	if refused != nil {
		return *refused
	}
	spec, decodeErr := rules.DecodeSpec(body)
	if errors.Is(decodeErr, rules.ErrBadJSON) {
		return c.fail(decodeErr)
	}
	saved, err := h.modify(c, func(cur rules.Rule) (rules.Rule, map[string]string, error) {
		return h.apply(c, cur, spec, decodeErr)
	})
	if err != nil {
		return c.fail(err)
	}
	return c.withETag(http.StatusOK, answer{saved.Public(), saved.NewSecrets}, saved.Rule)
}

// patch answers PATCH /v1/rules/{id} with a JSON Merge Patch body.
func (h *Handler) patch(c *call) events.APIGatewayProxyResponse {
	body, refused := c.body(mergePatchType, jsonType)
	if refused != nil {
		return *refused
	}
	saved, err := h.modify(c, func(cur rules.Rule) (rules.Rule, map[string]string, error) {
		spec, decodeErr := rules.Patch(cur.Spec, body)
		return h.apply(c, cur, spec, decodeErr)
	})
	if err != nil {
		return c.fail(err)
	}
	return c.withETag(http.StatusOK, answer{saved.Public(), saved.NewSecrets}, saved.Rule)
}

// remove answers DELETE /v1/rules/{id}: the rule is deleted (204). Its delivery log
// stays in the table until it expires but is no longer readable through the API. To
// stop a rule and keep it, PATCH {"enabled": false}.
func (h *Handler) remove(c *call) events.APIGatewayProxyResponse {
	ifMatch := httpapi.Header(c.req, "If-Match")
	for attempt := 1; ; attempt++ {
		cur, err := h.Rules.Get(c.ctx, c.who.TenantID, c.id)
		if err != nil {
			return c.fail(err)
		}
		if ifMatch != "" && !campaign.IfMatch(ifMatch, campaign.ETag(cur.ID, cur.Version)) {
			return c.fail(errPrecondition)
		}
		err = h.Rules.Delete(c.ctx, c.who.TenantID, c.id, cur.Version)
		if errors.Is(err, rules.ErrConflict) && ifMatch == "" && attempt < conflictRetries {
			continue
		}
		if err != nil {
			return c.fail(err)
		}
		out := c.resp.JSON(http.StatusNoContent, nil, nil)
		out.Body = ""
		return out
	}
}

// rotated is the answer of a secret rotation.
type rotated struct {
	SecretID           string    `json:"secret_id"`
	Secret             string    `json:"secret"`
	PreviousValidUntil time.Time `json:"previous_valid_until,omitzero"`
}

// rotate answers POST /v1/rules/{id}/channels/{n}/rotate-secret: the webhook channel n
// (from 0) gets a new secret, shown once; the previous one stays valid for a day.
func (h *Handler) rotate(c *call) events.APIGatewayProxyResponse {
	n, err := strconv.Atoi(c.req.PathParameters["n"])
	if err != nil || n < 0 || n >= rules.MaxChannels {
		return c.resp.Error(http.StatusNotFound, "not_found", "no such channel")
	}
	var out rotated
	saved, err := h.modify(c, func(cur rules.Rule) (rules.Rule, map[string]string, error) {
		if n >= len(cur.Channels) || cur.Channels[n].Type != rules.Webhook {
			return cur, nil, &fieldsError{fields: []httpapi.FieldError{{
				Field: "channels[" + strconv.Itoa(n) + "]", Reason: "is not a webhook channel"}}}
		}
		next := cur
		next.Channels = append([]rules.Channel(nil), cur.Channels...)
		ch := &next.Channels[n]
		secret, err := rules.Rotate(ch, h.Rules.Now())
		if err != nil {
			return cur, nil, err
		}
		out = rotated{SecretID: ch.SecretID, Secret: secret}
		if len(ch.Secrets) > 1 {
			out.PreviousValidUntil = ch.Secrets[1].ExpiresAt
		}
		return next, nil, nil
	})
	if err != nil {
		return c.fail(err)
	}
	return c.withETag(http.StatusOK, out, saved.Rule)
}
