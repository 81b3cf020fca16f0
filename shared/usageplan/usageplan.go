// Package usageplan gives each tenant its own meter in the API's usage plan.
//
// API Gateway applies a usage plan's throttle and quota per API Gateway API key. The
// management API reads that key from its Lambda authorizer (key source AUTHORIZER), so a
// tenant needs one API Gateway key, attached to the plan, whose value the authorizer can
// name for any of the tenant's users. KeyValue derives that value from the tenant id, so
// the authorizer needs no lookup, and Plan.Attach creates and attaches the key once per
// tenant.
//
// The derived value is an identifier, not a credential: with the AUTHORIZER key source
// API Gateway ignores any x-api-key a client sends, and only the authorizer, after it
// has verified the caller's token, can say which key a request counts against.
package usageplan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// keyPrefix names the keys in the console; the rest of the name is the tenant id.
const keyPrefix = "adpulse-tenant-"

// KeyValue returns the API Gateway key value that meters tenantID: 40 hex characters
// (API Gateway wants at least 20), the same in every process.
func KeyValue(tenantID string) string {
	sum := sha256.Sum256([]byte("adpulse usage key\x00" + tenantID))
	return hex.EncodeToString(sum[:20])
}

// KeyName returns the name of tenantID's API Gateway key.
func KeyName(tenantID string) string { return keyPrefix + tenantID }

// API is the part of the API Gateway client that Attach uses.
type API interface {
	GetApiKeys(ctx context.Context, in *apigateway.GetApiKeysInput,
		opts ...func(*apigateway.Options)) (*apigateway.GetApiKeysOutput, error)
	CreateApiKey(ctx context.Context, in *apigateway.CreateApiKeyInput,
		opts ...func(*apigateway.Options)) (*apigateway.CreateApiKeyOutput, error)
	CreateUsagePlanKey(ctx context.Context, in *apigateway.CreateUsagePlanKeyInput,
		opts ...func(*apigateway.Options)) (*apigateway.CreateUsagePlanKeyOutput, error)
}

// Plan is one usage plan of the API (the stack's output TenantUsagePlanId).
type Plan struct {
	api API
	id  string
}

// New returns the usage plan planID reached through api.
func New(api API, planID string) *Plan { return &Plan{api: api, id: planID} }

// Attach creates tenantID's key unless it exists and attaches it to the plan unless it
// is attached, so running it again after a failure is safe.
func (p *Plan) Attach(ctx context.Context, tenantID string) error {
	if tenantID == "" {
		return errors.New("attach to usage plan: empty tenant id")
	}
	keyID, err := p.key(ctx, tenantID)
	if err != nil {
		return fmt.Errorf("attach tenant %s to usage plan %s: %w", tenantID, p.id, err)
	}

	_, err = p.api.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{
		UsagePlanId: aws.String(p.id), KeyId: aws.String(keyID),
		KeyType: aws.String("API_KEY"),
	})
	var conflict *types.ConflictException
	if err != nil && !errors.As(err, &conflict) { // a conflict: attached already
		return fmt.Errorf("attach tenant %s to usage plan %s: %w", tenantID, p.id, err)
	}
	return nil
}

// key returns the id of tenantID's key, creating it when there is none.
func (p *Plan) key(ctx context.Context, tenantID string) (string, error) {
	name := KeyName(tenantID)
	in := &apigateway.GetApiKeysInput{NameQuery: aws.String(name), Limit: aws.Int32(500)}
	for {
		out, err := p.api.GetApiKeys(ctx, in)
		if err != nil {
			return "", fmt.Errorf("find key %s: %w", name, err)
		}
		for _, k := range out.Items { // NameQuery matches prefixes: want the exact name
			if aws.ToString(k.Name) == name && k.Id != nil {
				return *k.Id, nil
			}
		}
		if out.Position == nil {
			break
		}
		in.Position = out.Position
	}

	out, err := p.api.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{
		Name:        aws.String(name),
		Value:       aws.String(KeyValue(tenantID)),
		Enabled:     true,
		Description: aws.String("meters tenant " + tenantID + " in the management API"),
		Tags:        map[string]string{"adpulse:tenant-id": tenantID},
	})
	if err != nil {
		return "", fmt.Errorf("create key %s: %w", name, err)
	}
	if out.Id == nil {
		return "", fmt.Errorf("create key %s: the answer has no id", name)
	}
	return *out.Id, nil
}
