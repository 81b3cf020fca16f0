package signin

import (
	"context"
	"errors"
	"fmt"

	"github.com/adpulse/adpulse/shared/accounts"
)

// Refresh trades a refresh token for a new pair. The presented token is marked used; a
// used one revokes its family and returns ErrRefreshReuse.
func (s *Service) Refresh(ctx context.Context, token string) (Tokens, error) {
	now := s.now()
	r, err := s.liveToken(ctx, token, now.Unix())
	if err != nil {
		return Tokens{}, err
	}
	if r.Used {
		return Tokens{}, s.revokeForReuse(ctx, r)
	}

	f, err := s.Store.GetFamily(ctx, r.TenantID, r.UserID, r.FamilyID)
	if errors.Is(err, accounts.ErrNotFound) {
		return Tokens{}, ErrInvalidRefresh
	}
	if err != nil {
		return Tokens{}, fmt.Errorf("refresh: %w", err)
	}
	if f.Revoked || f.ExpiresAt <= now.Unix() {
		return Tokens{}, ErrInvalidRefresh
	}

	// The user may have been disabled since: end the family then.
	u, err := s.Store.GetUser(ctx, r.TenantID, r.UserID)
	if err != nil && !errors.Is(err, accounts.ErrNotFound) {
		return Tokens{}, fmt.Errorf("refresh: %w", err)
	}
	if err != nil || u.Disabled {
		if err := s.Store.RevokeFamily(ctx, r.TenantID, r.UserID, r.FamilyID); err != nil {
			return Tokens{}, fmt.Errorf("refresh: %w", err)
		}
		return Tokens{}, ErrInvalidRefresh
	}

	// Rotate: the old token is used, the next one joins the family.
	raw, hash, err := newRefreshToken()
	if err != nil {
		return Tokens{}, err
	}
	next := accounts.Refresh{Hash: hash, FamilyID: f.ID, TenantID: f.TenantID,
		UserID: f.UserID, ExpiresAt: s.refreshExpiry(now, f)}
	switch err := s.Store.Rotate(ctx, r, next); {
	case errors.Is(err, accounts.ErrRefreshUsed):
		return Tokens{}, s.revokeForReuse(ctx, r)
	case errors.Is(err, accounts.ErrFamilyRevoked):
		return Tokens{}, ErrInvalidRefresh
	case err != nil:
		return Tokens{}, fmt.Errorf("refresh: %w", err)
	}
	return s.issue(ctx, u, raw)
}

// Logout revokes the family of a refresh token. An unknown token is not an error, so
// that logging out twice succeeds.
func (s *Service) Logout(ctx context.Context, token string) error {
	if !wellFormed(token) {
		return nil
	}
	r, err := s.Store.GetRefresh(ctx, hashToken(token))
	if errors.Is(err, accounts.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	if err := s.Store.RevokeFamily(ctx, r.TenantID, r.UserID, r.FamilyID); err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	return nil
}

// liveToken reads a presented token that exists and has not expired.
func (s *Service) liveToken(ctx context.Context, token string, now int64) (accounts.Refresh,
	error) {
	if !wellFormed(token) {
		return accounts.Refresh{}, ErrInvalidRefresh
	}
	r, err := s.Store.GetRefresh(ctx, hashToken(token))
	if errors.Is(err, accounts.ErrNotFound) {
		return accounts.Refresh{}, ErrInvalidRefresh
	}
	if err != nil {
		return accounts.Refresh{}, fmt.Errorf("refresh: %w", err)
	}
	if r.ExpiresAt <= now {
		return accounts.Refresh{}, ErrInvalidRefresh
	}
	return r, nil
}

func (s *Service) revokeForReuse(ctx context.Context, r accounts.Refresh) error {
	if err := s.Store.RevokeFamily(ctx, r.TenantID, r.UserID, r.FamilyID); err != nil {
		return fmt.Errorf("revoke reused family %s: %w", r.FamilyID, err)
	}
	return ErrRefreshReuse
}
