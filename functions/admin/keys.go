package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/shared/apikey"
	"github.com/adpulse/adpulse/shared/httpapi"
)

// keyView is an API key as the API shows it: never the key, except once in the 201.
type keyView struct {
	ID        string `json:"id"`
	Label     string `json:"label"`
	Hint      string `json:"hint"`
	CreatedAt string `json:"created_at"`
	Revoked   bool   `json:"revoked"`
	Key       string `json:"key,omitempty"`
}

func keyOf(k apikey.Key) keyView {
	return keyView{ID: k.KeyID, Label: k.Label, Hint: k.Hint, CreatedAt: k.CreatedAt,
		Revoked: k.Revoked}
}

type createKeyBody struct {
	Label string `json:"label"`
}

// maxLabel bounds a key's label, in characters after trimming spaces.
const maxLabel = 100

// createKey issues an ingest key for the caller's tenant; the answer is the only place
// the key is ever shown.
func (h *Handler) createKey(ctx context.Context, c *call) events.APIGatewayProxyResponse {
	var body createKeyBody
	decoded, resp, ok := c.decode(&body, func(string) string {
		return "is not a field of a new API key (label)"
	})
	if !ok {
		return resp
	}
	label := strings.TrimSpace(body.Label)
	var fields []httpapi.FieldError
	switch {
	case label == "" || utf8.RuneCountInString(label) > maxLabel:
		fields = append(fields, httpapi.FieldError{Field: "label",
			Reason: fmt.Sprintf("must have 1 to %d characters", maxLabel)})
	case httpapi.Unprintable(label):
		fields = append(fields, httpapi.FieldError{Field: "label",
			Reason: "must not hold control or format characters"})
	}
	if fields = httpapi.MergeFields(decoded, fields); len(fields) > 0 {
		return c.invalid(fields...)
	}
	rec, key, err := h.Keys.CreateKey(ctx, c.p.TenantID, label)
	if err != nil {
		return c.internal(err)
	}
	c.result = "key_created"
	v := keyOf(rec)
	v.Key = key
	return c.r.JSON(http.StatusCreated, v,
		map[string]string{"Location": "/v1/api-keys/" + rec.KeyID})
}

func (h *Handler) listKeys(ctx context.Context, c *call) events.APIGatewayProxyResponse {
	keys, err := h.Keys.List(ctx, c.p.TenantID)
	if err != nil {
		return c.internal(err)
	}
	out := make([]keyView, 0, len(keys))
	for _, k := range keys {
		out = append(out, keyOf(k))
	}
	c.result = "keys_listed"
	return c.r.JSON(http.StatusOK, map[string]any{"api_keys": out}, nil)
}

// revokeKey revokes one of the tenant's keys. The ingest function's cache may accept it
// for up to a minute more.
func (h *Handler) revokeKey(ctx context.Context, c *call) events.APIGatewayProxyResponse {
	_, err := h.Keys.Revoke(ctx, c.p.TenantID, c.id)
	if isNotFound(err) {
		return c.notFound("no such API key")
	}
	if err != nil {
		return c.internal(err)
	}
	c.result = "key_revoked"
	resp := c.r.JSON(http.StatusNoContent, struct{}{}, nil)
	resp.Body = ""
	return resp
}
