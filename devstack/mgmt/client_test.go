package mgmt_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"

	"github.com/adpulse/adpulse/docs"
)

// client sends requests to the stack's API and checks each exchange against the
// OpenAPI document. Validators are not safe for concurrent use, hence the lock.
type client struct {
	base string
	mu   sync.Mutex
	v    validator.Validator
}

func newClient(t *testing.T, base string) *client {
	t.Helper()
	doc, err := libopenapi.NewDocument(docs.OpenAPI)
	if err != nil {
		t.Fatalf("OpenAPI document: %v", err)
	}
	v, errs := validator.NewValidator(doc, config.WithFormatAssertions())
	if len(errs) > 0 {
		t.Fatalf("OpenAPI validator: %v", errs)
	}
	return &client{base: base, v: v}
}

// req is one request of a test.
type req struct {
	method, path string
	token        string            // bearer token; "" sends no Authorization header
	body         any               // string, or a value encoded as JSON; nil: no body
	header       map[string]string // more headers
	// offSpec marks a request that breaks the document on purpose (no token, a bad
	// body): only its answer is validated.
	offSpec bool
}

// reply is an answer.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// decode decodes the JSON body into v.
func (r reply) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %d answer %.200s: %v", r.status, r.body, err)
	}
}

// code returns the error code of an error answer.
func (r reply) code() string {
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal(r.body, &e)
	return e.Error.Code
}

// do sends rq, validates the exchange and returns the answer.
func (c *client) do(t *testing.T, rq req) reply {
	t.Helper()
	var payload []byte
	switch b := rq.body.(type) {
	case nil:
	case string:
		payload = []byte(b)
	default:
		var err error
		if payload, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	build := func() *http.Request {
		r, err := http.NewRequest(rq.method, c.base+rq.path, bytes.NewReader(payload))
		if err != nil {
			t.Fatal(err)
		}
		if payload != nil {
			r.Header.Set("Content-Type", "application/json")
		}
		if rq.token != "" {
			r.Header.Set("Authorization", "Bearer "+rq.token)
		}
		for k, v := range rq.header {
			r.Header.Set(k, v)
		}
		return r
	}

	resp, err := http.DefaultClient.Do(build())
	if err != nil {
		t.Fatalf("%s %s: %v", rq.method, rq.path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read answer: %v", rq.method, rq.path, err)
	}
	out := reply{status: resp.StatusCode, header: resp.Header, body: body}
	c.validate(t, rq, build(), resp, body)
	return out
}

// validate checks the exchange against the document: the answer always, the request
// unless it is off-spec on purpose.
func (c *client) validate(t *testing.T, rq req, hr *http.Request, resp *http.Response,
	body []byte) {
	t.Helper()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	c.mu.Lock()
	defer c.mu.Unlock()
	var ok bool
	var errs []*validationError
	if rq.offSpec {
		ok, errs = wrap(c.v.ValidateHttpResponse(hr, resp))
	} else {
		ok, errs = wrap(c.v.ValidateHttpRequestResponse(hr, resp))
	}
	if ok {
		return
	}
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.String())
	}
	t.Errorf("%s %s → %d does not match the OpenAPI document:\n  %s\n  answer: %.300s",
		rq.method, rq.path, resp.StatusCode, strings.Join(msgs, "\n  "), body)
}
