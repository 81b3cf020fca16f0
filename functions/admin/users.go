package main

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/shared/accounts"
	"github.com/adpulse/adpulse/shared/httpapi"
	"github.com/adpulse/adpulse/shared/password"
	"github.com/adpulse/adpulse/shared/principal"
)

// userView is a user as the API shows it: never the password hash.
type userView struct {
	ID              string `json:"id"`
	Email           string `json:"email"`
	Role            string `json:"role"`
	Disabled        bool   `json:"disabled"`
	CreatedAt       string `json:"created_at"`
	UpdatedAt       string `json:"updated_at"`
	InitialPassword string `json:"initial_password,omitempty"` // only in the 201
}

func view(u accounts.User) userView {
	return userView{ID: u.ID, Email: u.Email, Role: string(u.Role), Disabled: u.Disabled,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

type createUserBody struct {
	Email string `json:"email"`
	Role  string `json:"role"`
}

// roleReason is the reason given for a role that is not one.
const roleReason = "must be admin, campaign_manager or analyst"

// createUser adds a user to the caller's tenant with a generated password, shown once.
func (h *Handler) createUser(ctx context.Context, c *call) events.APIGatewayProxyResponse {
	var body createUserBody
	decoded, resp, ok := c.decode(&body, func(string) string {
		return "is not a field of a new user (email, role)"
	})
	if !ok {
		return resp
	}
	var fields []httpapi.FieldError
	if err := accounts.ValidateEmail(body.Email); err != nil {
		fields = append(fields, httpapi.FieldError{Field: "email",
			Reason: "must be a plain address like ana@example.com"})
	}
	if !principal.Role(body.Role).Valid() {
		fields = append(fields, httpapi.FieldError{Field: "role", Reason: roleReason})
	}
	if fields = httpapi.MergeFields(decoded, fields); len(fields) > 0 {
		return c.invalid(fields...)
	}

	pw, err := password.Generate()
	if err != nil {
		return c.internal(err)
	}
	hash, err := h.params().Hash(pw)
	if err != nil {
		return c.internal(err)
	}
	now := time.Now().UTC().Format(time.RFC3339)
	u := accounts.User{ID: accounts.NewID("u"), TenantID: c.p.TenantID,
		Email: accounts.NormalizeEmail(body.Email), Role: principal.Role(body.Role),
		PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	switch err := h.Accounts.CreateUser(ctx, u); {
	case errors.Is(err, accounts.ErrEmailTaken):
		c.result = "email_taken"
		return c.r.Error(http.StatusConflict, "email_taken", "this email cannot be used")
	case err != nil:
		return c.internal(err)
	}

	c.result = "user_created"
	v := view(u)
	v.InitialPassword = pw
	return c.r.JSON(http.StatusCreated, v, map[string]string{"Location": "/v1/users/" + u.ID})
}

func (h *Handler) listUsers(ctx context.Context, c *call) events.APIGatewayProxyResponse {
	users, err := h.Accounts.ListUsers(ctx, c.p.TenantID)
	if err != nil {
		return c.internal(err)
	}
	out := make([]userView, 0, len(users))
	for _, u := range users {
		out = append(out, view(u))
	}
	c.result = "users_listed"
	return c.r.JSON(http.StatusOK, map[string]any{"users": out}, nil)
}

func (h *Handler) getUser(ctx context.Context, c *call) events.APIGatewayProxyResponse {
	u, err := h.Accounts.GetUser(ctx, c.p.TenantID, c.id)
	if isNotFound(err) {
		return c.notFound("no such user")
	}
	if err != nil {
		return c.internal(err)
	}
	c.result = "user_read"
	return c.r.JSON(http.StatusOK, view(u), nil)
}

type patchUserBody struct {
	Role     *string `json:"role"`
	Disabled *bool   `json:"disabled"`
}

// readOnlyUserFields are the fields of a user that PATCH cannot change.
var readOnlyUserFields = map[string]bool{"id": true, "email": true, "created_at": true,
	"updated_at": true}

// patchUser changes a user's role or disabled flag. Disabling ends the user's sessions:
// their refresh families are revoked and the authorizer refuses them within its cache
// time. An admin cannot disable or demote themselves, so a tenant keeps an admin.
func (h *Handler) patchUser(ctx context.Context, c *call) events.APIGatewayProxyResponse {
	var body patchUserBody
	decoded, resp, ok := c.decode(&body, func(key string) string {
		if readOnlyUserFields[key] {
			return "cannot be changed"
		}
		return "is not a field of a user change (role, disabled)"
	})
	if !ok {
		return resp
	}
	if len(decoded) > 0 {
		return c.invalid(decoded...)
	}
	if body.Role == nil && body.Disabled == nil {
		return c.invalid(httpapi.FieldError{Field: "role",
			Reason: "give role, disabled or both"})
	}
	change := accounts.UserChange{Disabled: body.Disabled}
	if body.Role != nil {
		role := principal.Role(*body.Role)
		if !role.Valid() {
			return c.invalid(httpapi.FieldError{Field: "role", Reason: roleReason})
		}
		change.Role = &role
	}
	if c.id == c.p.UserID && ((change.Role != nil && *change.Role != principal.Admin) ||
		(body.Disabled != nil && *body.Disabled)) {
		c.result = "self_change"
		return c.r.Error(http.StatusConflict, "cannot_change_self",
			"you cannot disable or demote yourself; ask another admin")
	}

	u, err := h.Accounts.UpdateUser(ctx, c.p.TenantID, c.id, change)
	if isNotFound(err) {
		return c.notFound("no such user")
	}
	if err != nil {
		return c.internal(err)
	}
	if u.Disabled {
		if _, err := h.Accounts.RevokeUserFamilies(ctx, u.TenantID, u.ID); err != nil {
			return c.internal(err)
		}
	}
	c.result = "user_changed"
	return c.r.JSON(http.StatusOK, view(u), nil)
}

func (h *Handler) params() password.Params {
	if h.Hash == (password.Params{}) {
		return password.Default
	}
	return h.Hash
}
