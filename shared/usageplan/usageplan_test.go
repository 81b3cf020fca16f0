package usageplan_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	"github.com/adpulse/adpulse/shared/usageplan"
)

// fakeGateway keeps API keys and a plan's attachments as API Gateway does, and can fail
// one operation.
type fakeGateway struct {
	keys     []types.ApiKey
	attached map[string]bool // key id in the plan
	pageSize int
	failOn   string
	creates  int
}

func (f *fakeGateway) GetApiKeys(_ context.Context, in *apigateway.GetApiKeysInput,
	_ ...func(*apigateway.Options)) (*apigateway.GetApiKeysOutput, error) {
	if f.failOn == "GetApiKeys" {
		return nil, errors.New("throttled")
	}
	var match []types.ApiKey
	for _, k := range f.keys {
		if strings.HasPrefix(*k.Name, aws.ToString(in.NameQuery)) {
			match = append(match, k)
		}
	}
	start := 0
	if in.Position != nil {
		start = len(*in.Position) // the position is as many dots as keys already given
	}
	end := min(start+f.pageSize, len(match))
	out := &apigateway.GetApiKeysOutput{Items: match[start:end]}
	if end < len(match) {
		out.Position = aws.String(strings.Repeat(".", end))
	}
	return out, nil
}

func (f *fakeGateway) CreateApiKey(_ context.Context, in *apigateway.CreateApiKeyInput,
	_ ...func(*apigateway.Options)) (*apigateway.CreateApiKeyOutput, error) {
	if f.failOn == "CreateApiKey" {
		return nil, errors.New("limit exceeded")
	}
	f.creates++
	id := "k" + string(rune('0'+len(f.keys)))
	f.keys = append(f.keys, types.ApiKey{Id: aws.String(id), Name: in.Name, Value: in.Value})
	return &apigateway.CreateApiKeyOutput{Id: aws.String(id)}, nil
}

func (f *fakeGateway) CreateUsagePlanKey(_ context.Context,
	in *apigateway.CreateUsagePlanKeyInput, _ ...func(*apigateway.Options)) (
	*apigateway.CreateUsagePlanKeyOutput, error) {
	switch {
	case f.failOn == "CreateUsagePlanKey":
		return nil, errors.New("not found")
	case aws.ToString(in.UsagePlanId) != "plan1" || aws.ToString(in.KeyType) != "API_KEY":
		return nil, errors.New("bad input")
	case f.attached[*in.KeyId]:
		return nil, &types.ConflictException{Message: aws.String("already in plan")}
	}
	f.attached[*in.KeyId] = true
	return &apigateway.CreateUsagePlanKeyOutput{}, nil
}

func TestAttach(t *testing.T) {
	other := types.ApiKey{Id: aws.String("x0"), Name: aws.String("adpulse-tenant-t_10")}
	own := types.ApiKey{Id: aws.String("x1"), Name: aws.String("adpulse-tenant-t_1")}
	tests := []struct {
		name        string
		keys        []types.ApiKey
		attached    map[string]bool
		failOn      string
		wantErr     string
		wantCreates int
		wantKey     string // the key id attached afterwards
	}{
		{name: "new tenant: key created and attached", wantCreates: 1, wantKey: "k0"},
		{name: "a key with a longer name is not the tenant's", keys: []types.ApiKey{other},
			wantCreates: 1, wantKey: "k1"},
		{name: "key exists (an earlier try failed): attached, not created again",
			keys: []types.ApiKey{other, own}, wantKey: "x1"},
		{name: "attached already: no error", keys: []types.ApiKey{own},
			attached: map[string]bool{"x1": true}, wantKey: "x1"},
		{name: "lookup fails", failOn: "GetApiKeys", wantErr: "find key adpulse-tenant-t_1"},
		{name: "create fails", failOn: "CreateApiKey",
			wantErr: "create key adpulse-tenant-t_1: limit exceeded"},
		{name: "attach fails", failOn: "CreateUsagePlanKey", wantCreates: 1,
			wantErr: "attach tenant t_1 to usage plan plan1: not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attached := tt.attached
			if attached == nil {
				attached = map[string]bool{}
			}
			// One key per page, so the lookup has to follow Position to the end.
			gw := &fakeGateway{keys: tt.keys, attached: attached, pageSize: 1,
				failOn: tt.failOn}

			err := usageplan.New(gw, "plan1").Attach(context.Background(), "t_1")

			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatalf("Attach: %v", err)
			}
			if gw.creates != tt.wantCreates {
				t.Errorf("keys created = %d, want %d", gw.creates, tt.wantCreates)
			}
			if tt.wantKey != "" && !attached[tt.wantKey] {
				t.Errorf("key %s not attached; attached: %v", tt.wantKey, attached)
			}
			for _, k := range gw.keys[len(tt.keys):] {
				if aws.ToString(k.Value) != usageplan.KeyValue("t_1") {
					t.Errorf("created key value %q, want KeyValue(t_1)", aws.ToString(k.Value))
				}
			}
		})
	}
}

func TestKeyValue(t *testing.T) {
	hex40 := regexp.MustCompile(`^[0-9a-f]{40}$`)
	tests := []struct{ a, b string }{
		{"t_01jd0000000000000000000000", "t_01jd0000000000000000000001"},
		{"t_1", "t_10"},
	}
	for _, tt := range tests {
		va, vb := usageplan.KeyValue(tt.a), usageplan.KeyValue(tt.b)
		if !hex40.MatchString(va) || !hex40.MatchString(vb) {
			t.Errorf("KeyValue(%q) = %q, KeyValue(%q) = %q; want 40 hex characters",
				tt.a, va, tt.b, vb)
		}
		if va == vb {
			t.Errorf("tenants %q and %q share the key value %q", tt.a, tt.b, va)
		}
		if va != usageplan.KeyValue(tt.a) {
			t.Errorf("KeyValue(%q) differs between calls", tt.a)
		}
	}
	if err := usageplan.New(&fakeGateway{}, "plan1").Attach(context.Background(), ""); err == nil {
		t.Error("Attach of an empty tenant id: no error")
	}
}
