package principal_test

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/shared/principal"
)

func TestRoles(t *testing.T) {
	cases := []struct {
		role    principal.Role
		action  principal.Action
		allowed bool
	}{
		{principal.Admin, principal.ManageKeys, true},
		{principal.Admin, principal.WriteCampaigns, true},
		{principal.CampaignManager, principal.WriteCampaigns, true},
		{principal.CampaignManager, principal.WriteRules, true},
		{principal.CampaignManager, principal.ManageUsers, false},
		{principal.CampaignManager, principal.ManageKeys, false},
		{principal.Analyst, principal.ReadCampaigns, true},
		{principal.Analyst, principal.ReadReports, true},
		{principal.Analyst, principal.WriteCampaigns, false},
		{principal.Analyst, principal.WriteRules, false},
		{"intruder", principal.ReadCampaigns, false},
	}
	for _, tc := range cases {
		p := principal.Principal{TenantID: "t", UserID: "u", Role: tc.role}
		if got := p.Can(tc.action); got != tc.allowed {
			t.Errorf("%s may %s: got %v, want %v", tc.role, tc.action, got, tc.allowed)
		}
		if (p.Forbidden(tc.action) == "") != tc.allowed {
			t.Errorf("%s %s: Forbidden() = %q", tc.role, tc.action, p.Forbidden(tc.action))
		}
	}
}

func TestFromRequestRoundTrip(t *testing.T) {
	want := principal.Principal{TenantID: "t_1", UserID: "u_1", Role: principal.Analyst,
		Email: "a@example.com"}
	req := events.APIGatewayProxyRequest{}
	req.RequestContext.Authorizer = want.Context()
	got, err := principal.FromRequest(&req)
	if err != nil || got != want {
		t.Fatalf("got %+v, %v; want %+v", got, err, want)
	}

	req.RequestContext.Authorizer = map[string]any{"tenant_id": "t_1", "role": "root"}
	if _, err := principal.FromRequest(&req); err != principal.ErrMissing {
		t.Errorf("bad context: got %v, want ErrMissing", err)
	}
}
