package devstack

import (
	"context"
	"errors"
	"fmt"

	"github.com/adpulse/adpulse/shared/apikey"
)

// CreateTenant creates an ingest API key for tenantID in the stack's ApiKeys table and
// returns the key (shown once; the table keeps only its hash).
func (s *Stack) CreateTenant(ctx context.Context, tenantID, label string) (string, error) {
	table := s.Physical("ApiKeys")
	if table == "" {
		return "", errors.New("create tenant: the template has no ApiKeys table")
	}
	key, err := apikey.NewStore(s.dynamo, table).Create(ctx, tenantID, label)
	if err != nil {
		return "", fmt.Errorf("create tenant %s: %w", tenantID, err)
	}
	return key, nil
}
