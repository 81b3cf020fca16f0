package rules

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// stateItem is the evaluation state of one (rule, campaign) as stored.
type stateItem struct {
	PK          string    `dynamodbav:"pk"`
	SK          string    `dynamodbav:"sk"`
	Phase       Phase     `dynamodbav:"phase"`
	Since       time.Time `dynamodbav:"since"`
	LastFiredAt time.Time `dynamodbav:"last_fired_at"`
	Episode     int64     `dynamodbav:"episode"`
	Version     int64     `dynamodbav:"version"`
}

func (it stateItem) state() State {
	return State{Phase: it.Phase, Since: it.Since.UTC(), LastFiredAt: it.LastFiredAt.UTC(),
		Episode: it.Episode, Version: it.Version}
}

// States returns the stored states of every rule for a campaign, by rule id, in one
// Query. A rule without an entry is in the zero State (ok, version 0).
func (s *Store) States(ctx context.Context, tenant, campaignID string) (map[string]State,
	error) {
	out := map[string]State{}
	var bad error
	err := s.query(ctx, statePK+tenant+"#"+campaignID, true, 0, nil,
		func(av map[string]types.AttributeValue) {
			var it stateItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				bad = err
				return
			}
			out[it.SK] = it.state()
		})
	if err == nil {
		err = bad
	}
	if err != nil {
		return nil, fmt.Errorf("read rule states of campaign %s: %w", campaignID, err)
	}
	return out, nil
}

// State reads the state of one rule for one campaign (the zero State when none).
func (s *Store) State(ctx context.Context, tenant, ruleID, campaignID string) (State, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table),
		Key: key(statePK+tenant+"#"+campaignID, ruleID), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return State{}, fmt.Errorf("read state of rule %s: %w", ruleID, err)
	}
	if out.Item == nil {
		return State{}, nil
	}
	var it stateItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return State{}, fmt.Errorf("unmarshal state of rule %s: %w", ruleID, err)
	}
	return it.state(), nil
}

// ClaimTransition stores to as the state of (rule, campaign) if the stored state is
// still from: its version equals from.Version (version 0: no state stored yet). The
// stored state gets version from.Version+1 and is returned. When another evaluation
// moved the state first, it returns ErrConflict and the caller sends nothing (it may
// re-read the state and evaluate again). Whoever claims a transition to firing owns
// sending that episode's notification.
func (s *Store) ClaimTransition(ctx context.Context, tenant, ruleID, campaignID string,
	from, to State) (State, error) {
	to.Version = from.Version + 1
	to.Phase = to.phase()
	it := stateItem{PK: statePK + tenant + "#" + campaignID, SK: ruleID, Phase: to.Phase,
		Since: to.Since.UTC(), LastFiredAt: to.LastFiredAt.UTC(), Episode: to.Episode,
		Version: to.Version}
	cond := expression.AttributeNotExists(expression.Name(AttrPK))
	if from.Version != 0 {
		cond = expression.Name("version").Equal(expression.Value(from.Version))
	}
	if err := s.put(ctx, it, cond); err != nil {
		return State{}, fmt.Errorf("claim transition of rule %s on campaign %s: %w", ruleID,
			campaignID, err)
	}
	return it.state(), nil
}
