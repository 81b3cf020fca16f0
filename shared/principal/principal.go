// Package principal says who is calling the management API and what they may do. The
// Lambda authorizer puts the caller into the request context; every management function
// reads it back from there and never from the request body.
package principal

import (
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
)

// Role is a user's role within their tenant.
type Role string

// The roles, from most to least powerful.
const (
	Admin           Role = "admin"            // users, keys and everything else
	CampaignManager Role = "campaign_manager" // campaigns and rules
	Analyst         Role = "analyst"          // read only
)

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool {
	return r == Admin || r == CampaignManager || r == Analyst
}

// Action is something a caller may be allowed to do.
type Action string

// The actions the roles grant.
const (
	ReadCampaigns  Action = "read campaigns"
	WriteCampaigns Action = "change campaigns"
	ReadRules      Action = "read rules"
	WriteRules     Action = "change rules"
	ReadReports    Action = "read reports"
	ManageUsers    Action = "manage users"
	ManageKeys     Action = "manage API keys"
)

var grants = map[Role]map[Action]bool{
	Admin: {ReadCampaigns: true, WriteCampaigns: true, ReadRules: true, WriteRules: true,
		ReadReports: true, ManageUsers: true, ManageKeys: true},
	CampaignManager: {ReadCampaigns: true, WriteCampaigns: true, ReadRules: true,
		WriteRules: true, ReadReports: true},
	Analyst: {ReadCampaigns: true, ReadRules: true, ReadReports: true},
}

// Context keys the authorizer sets and the functions read.
const (
	KeyTenant = "tenant_id"
	KeyUser   = "user_id"
	KeyRole   = "role"
	KeyEmail  = "email"
)

// ErrMissing means the request carries no authorizer context: the route is not behind
// the authorizer, which is a deployment error, never the caller's.
var ErrMissing = errors.New("request has no authorizer context")

// Principal is the signed-in caller.
type Principal struct {
	TenantID string
	UserID   string
	Role     Role
	Email    string
}

// Can reports whether the principal may perform the action.
func (p Principal) Can(a Action) bool {
	return grants[p.Role][a]
}

// Forbidden returns the reason for a 403 when the principal may not perform the action,
// or "" when it may.
func (p Principal) Forbidden(a Action) string {
	if p.Can(a) {
		return ""
	}
	return fmt.Sprintf("role %s may not %s", p.Role, a)
}

// Context returns the authorizer context that carries the principal.
func (p Principal) Context() map[string]any {
	return map[string]any{
		KeyTenant: p.TenantID, KeyUser: p.UserID, KeyRole: string(p.Role), KeyEmail: p.Email,
	}
}

// FromRequest reads the principal the authorizer attached to a proxy request.
func FromRequest(req *events.APIGatewayProxyRequest) (Principal, error) {
	ctx := req.RequestContext.Authorizer
	str := func(k string) string {
		s, _ := ctx[k].(string)
		return s
	}
	p := Principal{TenantID: str(KeyTenant), UserID: str(KeyUser), Role: Role(str(KeyRole)),
		Email: str(KeyEmail)}
	if p.TenantID == "" || p.UserID == "" || !p.Role.Valid() {
		return Principal{}, ErrMissing
	}
	return p, nil
}
