package apigw

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/devstack/template"
)

// authCache keeps authorizer answers by authorizer and identity source values for the
// authorizer's TTL, as API Gateway's results cache does. The cached policy is evaluated
// again against each request's method ARN.
type authCache struct {
	mu      sync.Mutex
	entries map[string]authEntry
}

type authEntry struct {
	resp    events.APIGatewayCustomAuthorizerResponse
	expires time.Time
}

func (c *authCache) get(key string, now time.Time) (events.APIGatewayCustomAuthorizerResponse,
	bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !now.Before(e.expires) {
		return events.APIGatewayCustomAuthorizerResponse{}, false
	}
	return e.resp, true
}

func (c *authCache) put(key string, resp events.APIGatewayCustomAuthorizerResponse,
	expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) > 10000 {
		c.entries = make(map[string]authEntry)
	}
	c.entries[key] = authEntry{resp: resp, expires: expires}
}

// refusal is an answer of API Gateway itself: a gateway response type and its defaults.
type refusal struct {
	typ, errorType, message string
	status                  int
}

var (
	unauthorized = refusal{"UNAUTHORIZED", "UnauthorizedException", "Unauthorized", 401}
	accessDenied = refusal{"ACCESS_DENIED", "AccessDeniedException",
		"User is not authorized to access this resource", 403}
	authorizerFailure = refusal{"AUTHORIZER_FAILURE", "AuthorizerConfigurationException",
		"", 500}
)

// grant is what an authorizer's Allow gives a request.
type grant struct {
	context  map[string]any // requestContext.authorizer of the proxy event
	usageKey string         // the usageIdentifierKey: the request's usage plan key
}

// authorize runs the Lambda authorizer of route, if it has one. It returns what the
// authorizer granted, or ok false once it has written API Gateway's refusal (401 for a
// missing identity or an "Unauthorized" error, 403 when the policy does not allow the
// method, 500 when the authorizer fails otherwise).
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, path string,
	route template.Route, params map[string]string, reqID string) (grant, int, bool) {
	if route.AuthorizerID == "" {
		return grant{}, 0, true
	}
	a, known := s.api.Authorizers[route.AuthorizerID]
	if !known {
		s.log.Error("method names an authorizer the template lacks", "id", route.AuthorizerID)
		return grant{}, s.refuse(w, authorizerFailure, reqID), false
	}
	identity := []string{a.LogicalID}
	for _, h := range a.Headers {
		vs := r.Header.Values(h)
		if len(vs) == 0 || vs[0] == "" { // API Gateway answers 401 without a call
			return grant{}, s.refuse(w, unauthorized, reqID), false
		}
		// Every value is part of the key: the authorizer sees them all, so an answer
		// given for two values must not be found again for one of them alone.
		identity = append(identity, strings.Join(vs, "\x01"))
	}
	methodARN := fmt.Sprintf("arn:aws:execute-api:%s:%s:%s/%s/%s%s", template.Region,
		template.AccountID, s.api.ID, s.api.Stage, r.Method, path)

	start := time.Now()
	key := strings.Join(identity, "\x00")
	resp, cached := s.auth.get(key, start)
	if !cached {
		var fail *refusal
		resp, fail = s.invokeAuthorizer(r, a, path, route, params, methodARN, reqID)
		if fail != nil {
			return grant{}, s.refuse(w, *fail, reqID), false
		}
		if a.TTL > 0 {
			s.auth.put(key, resp, start.Add(a.TTL))
		}
	}
	if !allows(resp.PolicyDocument, methodARN) {
		return grant{}, s.refuse(w, accessDenied, reqID), false
	}
	ctx := map[string]any{"principalId": resp.PrincipalID,
		"integrationLatency": time.Since(start).Milliseconds()}
	for k, v := range resp.Context {
		ctx[k] = v
	}
	return grant{context: ctx, usageKey: resp.UsageIdentifierKey}, 0, true
}

// invokeAuthorizer calls the authorizer function with a REQUEST (or TOKEN) event.
func (s *Server) invokeAuthorizer(r *http.Request, a template.Authorizer, path string,
	route template.Route, params map[string]string, methodARN, reqID string) (
	events.APIGatewayCustomAuthorizerResponse, *refusal) {
	var none events.APIGatewayCustomAuthorizerResponse
	payload, err := json.Marshal(s.authorizerEvent(r, a, path, route, params, methodARN, reqID))
	if err != nil {
		return none, &authorizerFailure
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.timeout)
	defer cancel()
	res, err := s.inv.Invoke(ctx, s.functions[a.FunctionID], payload)
	if err != nil {
		s.log.Error("invoke authorizer", "function", a.FunctionID, "err", err)
		return none, &authorizerFailure
	}
	if res.FunctionError != "" {
		var e struct {
			ErrorMessage string `json:"errorMessage"`
		}
		_ = json.Unmarshal(res.Payload, &e)
		if e.ErrorMessage == "Unauthorized" {
			return none, &unauthorized
		}
		s.log.Warn("authorizer error", "function", a.FunctionID, "error", string(res.Payload))
		return none, &authorizerFailure
	}
	var resp events.APIGatewayCustomAuthorizerResponse
	if err := json.Unmarshal(res.Payload, &resp); err != nil || resp.PrincipalID == "" {
		s.log.Warn("malformed authorizer response", "function", a.FunctionID,
			"response", string(res.Payload))
		return none, &authorizerFailure
	}
	return resp, nil
}

// authorizerEvent builds the event API Gateway sends a REQUEST authorizer. A TOKEN
// authorizer gets the same fields; it reads only type, methodArn and the identity.
func (s *Server) authorizerEvent(r *http.Request, a template.Authorizer, path string,
	route template.Route, params map[string]string, methodARN, reqID string,
) events.APIGatewayCustomAuthorizerRequestTypeRequest {
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	hdr := r.Header.Clone()
	hdr.Set("Host", r.Host)
	ev := events.APIGatewayCustomAuthorizerRequestTypeRequest{
		Type: a.Type, MethodArn: methodARN, Resource: route.Path, Path: path,
		HTTPMethod: r.Method, Headers: last(hdr), MultiValueHeaders: hdr,
		PathParameters: params,
		RequestContext: events.APIGatewayCustomAuthorizerRequestTypeRequestContext{
			Path: "/" + s.api.Stage + path, AccountID: template.AccountID,
			ResourceID: route.ResourceID, Stage: s.api.Stage, RequestID: reqID,
			Identity: events.APIGatewayCustomAuthorizerRequestTypeRequestIdentity{
				SourceIP: ip},
			ResourcePath: route.Path, HTTPMethod: r.Method, APIID: s.api.ID,
		},
	}
	if q := r.URL.Query(); len(q) > 0 {
		ev.QueryStringParameters, ev.MultiValueQueryStringParameters = last(q), q
	}
	return ev
}

// allows reports whether policy allows execute-api:Invoke on methodARN: an explicit Deny
// wins, and without a matching Allow the answer is no.
func allows(policy events.APIGatewayCustomAuthorizerPolicy, methodARN string) bool {
	allowed := false
	for _, st := range policy.Statement {
		if !matchesAny(st.Action, "execute-api:Invoke") || !matchesAny(st.Resource, methodARN) {
			continue
		}
		switch {
		case strings.EqualFold(st.Effect, "Deny"):
			return false
		case strings.EqualFold(st.Effect, "Allow"):
			allowed = true
		}
	}
	return allowed
}

// matchesAny reports whether one of the IAM patterns (* and ? wildcards) matches s.
func matchesAny(patterns []string, s string) bool {
	for _, p := range patterns {
		re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(p)) + "$"
		if ok, _ := regexp.MatchString(re, s); ok {
			return true
		}
	}
	return false
}

// refuse writes API Gateway's own answer of kind f: the API's gateway response of that
// type when the template has one, else its DEFAULT_4XX or DEFAULT_5XX response, else API
// Gateway's default {"message": ...}. A default response keeps the status of f.
func (s *Server) refuse(w http.ResponseWriter, f refusal, reqID string) int {
	w.Header().Set("x-amzn-ErrorType", f.errorType)
	gr, ok := s.api.GatewayResponses[f.typ]
	if !ok || gr.Template == "" { // a type without its own response takes the default's
		def := "DEFAULT_4XX"
		if f.status >= 500 {
			def = "DEFAULT_5XX"
		}
		gr, ok = s.api.GatewayResponses[def]
	}
	if !ok || gr.Template == "" {
		msg, _ := json.Marshal(f.message)
		if f.message == "" {
			msg = []byte("null")
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.status)
		_, _ = fmt.Fprintf(w, `{"message":%s}`, msg)
		return f.status
	}
	for k, v := range gr.Headers {
		w.Header().Set(k, v)
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	status := f.status
	if gr.Status != 0 {
		status = gr.Status
	}
	body := strings.NewReplacer("$context.requestId", reqID,
		"$context.error.messageString", fmt.Sprintf("%q", f.message),
		"$context.error.message", f.message).Replace(gr.Template)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
	return status
}
