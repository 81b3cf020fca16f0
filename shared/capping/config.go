package capping

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/adpulse/adpulse/shared/campaign"
)

// ConfigSource gives the capping configuration of a campaign. A campaign without caps
// has a Config with no caps, never an error.
type ConfigSource interface {
	Config(ctx context.Context, tenant, campaign string) (*Config, error)
}

// Static is a ConfigSource from a map keyed "<tenant>#<campaign>", for tests and
// benchmarks.
type Static map[string]*Config

// Config implements ConfigSource.
func (s Static) Config(_ context.Context, tenant, campaign string) (*Config, error) {
	if c, ok := s[tenant+"#"+campaign]; ok {
		return c, nil
	}
	return &Config{Location: time.UTC}, nil
}

// NewConfig builds a campaign's Config from its caps, its ads' caps and its time zone.
func NewConfig(c CampaignCaps, ads map[string][]Cap, loc *time.Location) *Config {
	if loc == nil {
		loc = time.UTC
	}
	cfg := &Config{Location: loc, Caps: c.Caps, AdCaps: ads, NoIdentifier: c.NoIdentifier,
		Longest: Minute}
	for _, cp := range c.Caps {
		cfg.Longest = longer(cfg.Longest, cp.Window)
	}
	for _, caps := range ads {
		for _, cp := range caps {
			cfg.Longest = longer(cfg.Longest, cp.Window)
		}
	}
	return cfg
}

// TimezoneFunc returns the IANA time zone of a campaign (its schedule.timezone).
type TimezoneFunc func(ctx context.Context, tenant, campaign string) (string, error)

// ErrNoCampaign may be returned by a TimezoneFunc for an unknown campaign; its caps then
// count in UTC.
var ErrNoCampaign = errors.New("campaign not found")

// Configs reads configurations from the Capping table and the campaign's time zone, and
// keeps them for TTL (default 30 s), so a warm function reads each campaign at most once per TTL.
type Configs struct {
	Caps     *Dynamo
	Timezone TimezoneFunc
	TTL      time.Duration
	Now      func() time.Time

	mu      sync.Mutex
	entries map[string]configEntry
}

type configEntry struct {
	cfg     *Config
	expires time.Time
}

// maxConfigEntries bounds the cache; past it the cache starts again empty.
const maxConfigEntries = 20000

// Config implements ConfigSource.
func (c *Configs) Config(ctx context.Context, tenant, campaign string) (*Config, error) {
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	k := tenant + "#" + campaign
	c.mu.Lock()
	e, ok := c.entries[k]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.cfg, nil
	}

	cfg, err := c.load(ctx, tenant, campaign)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= maxConfigEntries {
		c.entries = make(map[string]configEntry)
	}
	ttl := c.TTL
	if ttl <= 0 {
		ttl = 30 * time.Second
	}
	c.entries[k] = configEntry{cfg: cfg, expires: now.Add(ttl)}
	c.mu.Unlock()
	return cfg, nil
}

func (c *Configs) load(ctx context.Context, tenant, campaign string) (*Config, error) {
	caps, ads, err := c.Caps.LoadCaps(ctx, tenant, campaign)
	if err != nil {
		return nil, err
	}
	if len(caps.Caps) == 0 && len(ads) == 0 {
		return NewConfig(caps, nil, time.UTC), nil // uncapped: no time zone needed
	}
	loc := time.UTC
	tz, err := c.Timezone(ctx, tenant, campaign)
	switch {
	case errors.Is(err, ErrNoCampaign):
	case err != nil:
		return nil, fmt.Errorf("time zone of %s: %w", campaign, err)
	default:
		if loc, err = time.LoadLocation(tz); err != nil {
			return nil, fmt.Errorf("time zone %q of %s: %w", tz, campaign, err)
		}
	}
	return NewConfig(caps, ads, loc), nil
}

func configPK(tenant, campaign string) string { return tenant + "#cfg#" + campaign }

const (
	skCampaign = "campaign"
	skAdPrefix = "ad#"
)

// LoadCaps reads a campaign's caps and every ad's caps with one Query (paged).
func (d *Dynamo) LoadCaps(ctx context.Context, tenant, campaign string) (
	CampaignCaps, map[string][]Cap, error) {
	var caps CampaignCaps
	var ads map[string][]Cap
	expr, err := expression.NewBuilder().WithKeyCondition(
		expression.Key(AttrPK).Equal(expression.Value(configPK(tenant, campaign)))).Build()
	if err != nil {
		return caps, nil, err
	}
	in := &dynamodb.QueryInput{
		TableName: aws.String(d.Table), KeyConditionExpression: expr.KeyCondition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	}
	for {
		out, err := d.DB.Query(ctx, in)
		if err != nil {
			return caps, nil, fmt.Errorf("read caps of %s: %w", campaign, err)
		}
		for _, it := range out.Items {
			sk := str(it[AttrSK])
			if sk == skCampaign {
				if err := json.Unmarshal([]byte(str(it[attrDoc])), &caps); err != nil {
					return caps, nil, fmt.Errorf("decode caps of %s: %w", campaign, err)
				}
				continue
			}
			var ad AdCaps
			if err := json.Unmarshal([]byte(str(it[attrDoc])), &ad); err != nil {
				return caps, nil, fmt.Errorf("decode caps of %s/%s: %w", campaign, sk, err)
			}
			if len(ad.Caps) > 0 {
				if ads == nil {
					ads = map[string][]Cap{}
				}
				ads[strings.TrimPrefix(sk, skAdPrefix)] = ad.Caps
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return caps, ads, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// PutCampaignCaps replaces a campaign's caps and policy.
func (d *Dynamo) PutCampaignCaps(ctx context.Context, tenant, campaign string,
	c CampaignCaps) error {
	return d.putDoc(ctx, tenant, campaign, skCampaign, c)
}

// PutAdCaps replaces one ad's caps.
func (d *Dynamo) PutAdCaps(ctx context.Context, tenant, campaign, ad string, a AdCaps) error {
	return d.putDoc(ctx, tenant, campaign, skAdPrefix+ad, a)
}

func (d *Dynamo) putDoc(ctx context.Context, tenant, campaign, sk string, v any) error {
	doc, err := json.Marshal(v)
	if err != nil {
		return err
	}
	item := keyOf(configPK(tenant, campaign), sk)
	item[attrDoc] = &types.AttributeValueMemberS{Value: string(doc)}
	item["updated_at"] = &types.AttributeValueMemberS{
		Value: d.Now().UTC().Format(time.RFC3339)}
	if _, err := d.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(d.Table), Item: item}); err != nil {
		return fmt.Errorf("put caps %s/%s: %w", campaign, sk, err)
	}
	return nil
}

// GetCampaignCaps reads a campaign's caps; none set gives no caps and the default policy.
func (d *Dynamo) GetCampaignCaps(ctx context.Context, tenant, campaign string) (
	CampaignCaps, error) {
	caps, _, err := d.LoadCaps(ctx, tenant, campaign)
	if caps.Caps == nil {
		caps.Caps = []Cap{}
	}
	if caps.NoIdentifier == "" {
		caps.NoIdentifier = UncappedOnly
	}
	return caps, err
}

// GetAdCaps reads one ad's caps; none set gives no caps.
func (d *Dynamo) GetAdCaps(ctx context.Context, tenant, campaign, ad string) (AdCaps, error) {
	_, ads, err := d.LoadCaps(ctx, tenant, campaign)
	out := AdCaps{Caps: ads[ad]}
	if out.Caps == nil {
		out.Caps = []Cap{}
	}
	return out, err
}

// CampaignTimezone reads time zones from the Campaigns table through its store.
func CampaignTimezone(store *campaign.Store) TimezoneFunc {
	return func(ctx context.Context, tenant, id string) (string, error) {
		c, err := store.Get(ctx, tenant, id)
		if errors.Is(err, campaign.ErrNotFound) {
			return "", ErrNoCampaign
		}
		if err != nil {
			return "", err
		}
		if c.Schedule == nil {
			return "UTC", nil
		}
		return c.Schedule.Timezone, nil
	}
}
