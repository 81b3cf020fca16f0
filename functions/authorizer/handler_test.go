package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/adpulse/adpulse/shared/accounts"
	"github.com/adpulse/adpulse/shared/auth"
	"github.com/adpulse/adpulse/shared/logging"
	"github.com/adpulse/adpulse/shared/principal"
	"github.com/adpulse/adpulse/shared/usageplan"
)

// users is an in-memory UserReader that counts reads.
type users struct {
	byKey map[string]accounts.User
	reads int
	fail  error
}

func (u *users) GetUser(_ context.Context, tenantID, userID string) (accounts.User, error) {
	u.reads++
	if u.fail != nil {
		return accounts.User{}, u.fail
	}
	got, ok := u.byKey[tenantID+"/"+userID]
	if !ok {
		return accounts.User{}, accounts.ErrNotFound
	}
	return got, nil
}

const methodARN = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/v1/users/u_1"

func setup(t *testing.T) (*Handler, *users, func(sub auth.Subject) string) {
	t.Helper()
	pemKey, _ := auth.NewKeyPEM()
	keys, _ := auth.ParseKeySet(pemKey)
	is := &auth.Issuer{Keys: keys, Issuer: "iss", Audience: "aud"}
	db := &users{byKey: map[string]accounts.User{
		"t_a/u_1": {ID: "u_1", TenantID: "t_a", Role: principal.Admin, Email: "a@x.io"},
		"t_a/u_2": {ID: "u_2", TenantID: "t_a", Role: principal.Analyst, Disabled: true},
		"t_a/u_3": {ID: "u_3", TenantID: "t_a", Role: principal.Analyst, Email: "c@x.io"},
	}}
	h := &Handler{Verifier: &auth.Verifier{Keys: keys, Issuer: "iss", Audience: "aud"},
		Users: db}
	issue := func(sub auth.Subject) string {
		tok, _, err := is.Issue(context.Background(), sub)
		if err != nil {
			t.Fatalf("issue: %v", err)
		}
		return tok
	}
	return h, db, issue
}

func request(headers map[string]string) events.APIGatewayCustomAuthorizerRequestTypeRequest {
	return events.APIGatewayCustomAuthorizerRequestTypeRequest{Type: "REQUEST",
		MethodArn: methodARN, Path: "/v1/users/u_1", Headers: headers}
}

func TestAllowCarriesThePrincipal(t *testing.T) {
	h, _, issue := setup(t)
	tok := issue(auth.Subject{UserID: "u_1", TenantID: "t_a", Role: principal.Admin})
	resp, err := h.Handle(context.Background(),
		request(map[string]string{"authorization": "bearer " + tok}))
	if err != nil {
		t.Fatalf("handle: %v", err)
	}
	st := resp.PolicyDocument.Statement
	want := "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*/*"
	if resp.PrincipalID != "u_1" || len(st) != 1 || st[0].Effect != "Allow" ||
		st[0].Resource[0] != want || st[0].Action[0] != "execute-api:Invoke" {
		t.Errorf("policy: got %+v, want Allow on %s", resp, want)
	}
	// Every user of tenant t_a is metered under t_a's key of the usage plan.
	if got, want := resp.UsageIdentifierKey, usageplan.KeyValue("t_a"); got != want {
		t.Errorf("usageIdentifierKey = %q, want the tenant's %q", got, want)
	}
	tok3 := issue(auth.Subject{UserID: "u_3", TenantID: "t_a", Role: principal.Analyst})
	resp3, err := h.Handle(context.Background(),
		request(map[string]string{"Authorization": "Bearer " + tok3}))
	if err != nil || resp3.UsageIdentifierKey != resp.UsageIdentifierKey {
		t.Errorf("second user of t_a: key %q, %v; want %q", resp3.UsageIdentifierKey, err,
			resp.UsageIdentifierKey)
	}

	// The functions read the context back with principal.FromRequest.
	proxy := events.APIGatewayProxyRequest{}
	proxy.RequestContext.Authorizer = resp.Context
	p, err := principal.FromRequest(&proxy)
	if err != nil || p.TenantID != "t_a" || p.UserID != "u_1" || p.Role != principal.Admin ||
		p.Email != "a@x.io" {
		t.Errorf("principal from context: %+v, %v", p, err)
	}
}

func TestRoleComesFromTheUserRecord(t *testing.T) {
	h, _, issue := setup(t)
	// A token minted while u_3 was admin; the record now says analyst.
	tok := issue(auth.Subject{UserID: "u_3", TenantID: "t_a", Role: principal.Admin})
	resp, err := h.Handle(context.Background(),
		request(map[string]string{"Authorization": "Bearer " + tok}))
	if err != nil || resp.Context[principal.KeyRole] != "analyst" {
		t.Errorf("got role %v, %v; want analyst", resp.Context[principal.KeyRole], err)
	}
}

func TestRefusals(t *testing.T) {
	h, _, issue := setup(t)
	good := issue(auth.Subject{UserID: "u_1", TenantID: "t_a", Role: principal.Admin})
	other := issue(auth.Subject{UserID: "u_3", TenantID: "t_a", Role: principal.Analyst})
	tests := []struct {
		name    string
		headers map[string]string
		multi   map[string][]string
	}{
		{"no header", nil, nil},
		{"empty bearer", map[string]string{"Authorization": "Bearer "}, nil},
		{"basic scheme", map[string]string{"Authorization": "Basic " + good}, nil},
		{"token without scheme", map[string]string{"Authorization": good}, nil},
		{"garbage", map[string]string{"Authorization": "Bearer abc.def.ghi"}, nil},
		{"tampered", map[string]string{"Authorization": "Bearer " + good + "x"}, nil},
		{"disabled user", map[string]string{"Authorization": "Bearer " +
			issue(auth.Subject{UserID: "u_2", TenantID: "t_a", Role: principal.Analyst})}, nil},
		{"unknown user", map[string]string{"Authorization": "Bearer " +
			issue(auth.Subject{UserID: "u_9", TenantID: "t_a", Role: principal.Admin})}, nil},
		{"user of another tenant", map[string]string{"Authorization": "Bearer " +
			issue(auth.Subject{UserID: "u_1", TenantID: "t_b", Role: principal.Admin})}, nil},
		// Two valid tokens: the gateway could cache the answer for one under the other.
		{"two Authorization values", map[string]string{"Authorization": "Bearer " + good},
			map[string][]string{"Authorization": {"Bearer " + other, "Bearer " + good}}},
		{"two header names differing in case", map[string]string{"authorization": "Bearer " +
			good}, map[string][]string{"authorization": {"Bearer " + good},
			"Authorization": {"Bearer " + other}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := request(tc.headers)
			req.MultiValueHeaders = tc.multi
			resp, err := h.Handle(context.Background(), req)
			if err == nil || err.Error() != "Unauthorized" {
				t.Errorf("got %v, want the error Unauthorized", err)
			}
			if len(resp.PolicyDocument.Statement) != 0 {
				t.Errorf("a refusal carries a policy: %+v", resp.PolicyDocument)
			}
		})
	}
}

func TestStoreFailureIsNotAnAllowNorA401(t *testing.T) {
	h, db, issue := setup(t)
	db.fail = errors.New("throttled")
	tok := issue(auth.Subject{UserID: "u_1", TenantID: "t_a", Role: principal.Admin})
	_, err := h.Handle(context.Background(),
		request(map[string]string{"Authorization": "Bearer " + tok}))
	if err == nil || err.Error() == "Unauthorized" || err.Error() == "throttled" {
		t.Errorf("got %v, want an opaque internal error", err)
	}
}

func TestUserCache(t *testing.T) {
	_, db, _ := setup(t)
	c := NewUserCache(db, 30*time.Second)
	now := time.Now()
	c.now = func() time.Time { return now }
	for i := 0; i < 3; i++ {
		_, _ = c.GetUser(context.Background(), "t_a", "u_1")
		_, _ = c.GetUser(context.Background(), "t_a", "u_9")
	}
	if db.reads != 2 {
		t.Errorf("got %d reads for 6 lookups of 2 users, want 2", db.reads)
	}
	now = now.Add(31 * time.Second)
	_, _ = c.GetUser(context.Background(), "t_a", "u_1")
	if db.reads != 3 {
		t.Errorf("after the ttl: got %d reads, want 3", db.reads)
	}
}

func TestOutcomeLineNamesBothRequestIDs(t *testing.T) {
	h, _, issue := setup(t)
	var buf bytes.Buffer
	h.Log = logging.NewWriter(&buf, "info")
	ctx := lambdacontext.NewContext(context.Background(),
		&lambdacontext.LambdaContext{AwsRequestID: "lambda-1"})
	req := request(map[string]string{"Authorization": "Bearer " +
		issue(auth.Subject{UserID: "u_1", TenantID: "t_a", Role: principal.Admin})})
	req.RequestContext.RequestID = "api-1"

	if _, err := h.Handle(ctx, req); err != nil {
		t.Fatalf("handle: %v", err)
	}

	// One key per id: a log tool keeps only one of two equal keys.
	line := buf.String()
	for key, want := range map[string]string{"requestId": "lambda-1", "apiRequestId": "api-1"} {
		if n := strings.Count(line, `"`+key+`":`); n != 1 {
			t.Errorf("%q appears %d times in %s", key, n, line)
		}
		if !strings.Contains(line, `"`+key+`":"`+want+`"`) {
			t.Errorf("%s is not %q in %s", key, want, line)
		}
	}
}
