package features_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"

	"github.com/adpulse/adpulse/docs"
)

// client calls the stack's API and checks every exchange against the OpenAPI document.
// Validators are not safe for concurrent use, hence the lock.
type client struct {
	base string
	mu   *sync.Mutex
	v    validator.Validator
	// offSpec marks requests that break the document on purpose (no key): only the
	// answers are validated.
	offSpec bool
}

// breaking returns the client for requests that break the document on purpose.
func (c client) breaking() client {
	c.offSpec = true
	return c
}

func newClient(t *testing.T, base string) client {
	t.Helper()
	doc, err := libopenapi.NewDocument(docs.OpenAPI)
	if err != nil {
		t.Fatalf("OpenAPI document: %v", err)
	}
	v, errs := validator.NewValidator(doc, config.WithFormatAssertions())
	if len(errs) > 0 {
		t.Fatalf("OpenAPI validator: %v", errs)
	}
	return client{base: base, mu: &sync.Mutex{}, v: v}
}

// reply is an answer of the API.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// do sends method path with body (nil, or a value encoded as JSON) and the headers
// given as name, value pairs, and returns the answer.
func (c client) do(t *testing.T, method, path string, body any, header ...string) reply {
	t.Helper()
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	build := func() *http.Request {
		req, err := http.NewRequest(method, c.base+path, bytes.NewReader(payload))
		if err != nil {
			t.Fatal(err)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		return req
	}
	resp, err := http.DefaultClient.Do(build())
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	c.validate(t, build(), resp, b)
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// validate checks the request and its answer against the document.
func (c client) validate(t *testing.T, req *http.Request, resp *http.Response, body []byte) {
	t.Helper()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	c.mu.Lock()
	defer c.mu.Unlock()
	validate := c.v.ValidateHttpRequestResponse
	if c.offSpec {
		validate = func(_ *http.Request, resp *http.Response) (bool,
			[]*verrors.ValidationError) {
			return c.v.ValidateHttpResponse(req, resp)
		}
	}
	ok, errs := validate(req, resp)
	if ok {
		return
	}
	var msgs []string
	for _, e := range errs {
		m := e.Message + ": " + e.Reason
		for _, f := range e.SchemaValidationErrors {
			m += fmt.Sprintf(" [%s %s]", f.FieldPath, f.Reason)
		}
		msgs = append(msgs, m)
	}
	t.Errorf("%s %s → %d does not match the OpenAPI document:\n  %s\n  answer: %.300s",
		req.Method, req.URL.Path, resp.StatusCode, strings.Join(msgs, "\n  "), body)
}

// want fails the test unless r has status code.
func (r reply) want(t *testing.T, what string, code int) reply {
	t.Helper()
	if r.status != code {
		t.Fatalf("%s: status %d, want %d: %.400s", what, r.status, code, r.body)
	}
	return r
}

// decode decodes the JSON body into v.
func (r reply) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %.300s: %v", r.body, err)
	}
}

// bearer returns the Authorization header pair of an access token.
func bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

// login signs in and returns the access token.
func (c client) login(t *testing.T, email, password string) string {
	t.Helper()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	c.do(t, "POST", "/v1/auth/login", map[string]string{"email": email, "password": password}).
		want(t, "login "+email, http.StatusOK).decode(t, &tok)
	return tok.AccessToken
}

// createCampaign creates an active campaign with a budget in currency, in UTC, and
// returns its id.
func (c client) createCampaign(t *testing.T, token, name, currency string) string {
	t.Helper()
	body := map[string]any{
		"name": name, "brand_id": "brand_1", "objectives": []string{"sales"},
		"channels": []string{"display"},
		"budget":   map[string]any{"total_micros": 100_000_000_000, "currency": currency},
		"schedule": map[string]any{"start": "2013-10-01T00:00:00Z", "timezone": "UTC"},
	}
	var cmp struct {
		ID string `json:"id"`
	}
	c.do(t, "POST", "/v1/campaigns", body, bearer(token)...).
		want(t, "create campaign "+name, http.StatusCreated).decode(t, &cmp)
	c.do(t, "PATCH", "/v1/campaigns/"+cmp.ID+"/status", map[string]string{"status": "active"},
		bearer(token)...).want(t, "activate "+name, http.StatusOK)
	return cmp.ID
}
