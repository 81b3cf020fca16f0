package template

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// Resource types the local stack understands.
const (
	TypeStream      = "AWS::Kinesis::Stream"
	TypeTable       = "AWS::DynamoDB::Table"
	TypeQueue       = "AWS::SQS::Queue"
	TypeFunction    = "AWS::Lambda::Function"
	TypeAlias       = "AWS::Lambda::Alias"
	TypeMapping     = "AWS::Lambda::EventSourceMapping"
	TypeRestAPI     = "AWS::ApiGateway::RestApi"
	TypeAPIResource = "AWS::ApiGateway::Resource"
	TypeMethod      = "AWS::ApiGateway::Method"
	TypeStage       = "AWS::ApiGateway::Stage"
	TypeRole        = "AWS::IAM::Role"
	TypeAuthorizer  = "AWS::ApiGateway::Authorizer"
	TypeGatewayResp = "AWS::ApiGateway::GatewayResponse"
	TypeUsagePlan   = "AWS::ApiGateway::UsagePlan"
	TypeSecret      = "AWS::SecretsManager::Secret"
)

// Template is a decoded CloudFormation template.
type Template struct {
	Parameters map[string]Parameter `json:"Parameters"`
	Resources  map[string]Resource  `json:"Resources"`
}

// Parameter is a template parameter; only its default matters locally.
type Parameter struct {
	Type    string `json:"Type"`
	Default any    `json:"Default"`
}

// Resource is one entry of the Resources section, its properties still undecoded.
type Resource struct {
	Type       string                     `json:"Type"`
	Properties json.RawMessage            `json:"Properties"`
	Metadata   map[string]json.RawMessage `json:"Metadata"`
}

// Load reads and decodes the template at path.
func Load(path string) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	return Parse(data)
}

// Parse decodes a template from its JSON text.
func Parse(data []byte) (*Template, error) {
	var t Template
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("decode template: %w", err)
	}
	if len(t.Resources) == 0 {
		return nil, fmt.Errorf("decode template: no resources")
	}
	return &t, nil
}

// LogicalIDs returns the logical ids of the resources of type typ, sorted.
func (t *Template) LogicalIDs(typ string) []string {
	var ids []string
	for id, r := range t.Resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// Properties decodes the properties of resource id into v.
func (t *Template) Properties(id string, v any) error {
	r, ok := t.Resources[id]
	if !ok {
		return fmt.Errorf("resource %s: not in template", id)
	}
	if len(r.Properties) == 0 {
		return nil
	}
	if err := json.Unmarshal(r.Properties, v); err != nil {
		return fmt.Errorf("resource %s properties: %w", id, err)
	}
	return nil
}

// FindByPrefix returns the logical id that starts with prefix. CDK appends an 8-hex hash
// to construct ids, so "Aggregates" finds "Aggregates0F1E2D3C". An exact match wins; an
// ambiguous prefix is an error.
func (t *Template) FindByPrefix(prefix string) (string, error) {
	if _, ok := t.Resources[prefix]; ok {
		return prefix, nil
	}
	var found []string
	for id := range t.Resources {
		if strings.HasPrefix(id, prefix) {
			found = append(found, id)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("no resource id starts with %q", prefix)
	case 1:
		return found[0], nil
	}
	// Prefer the construct itself: "Ingest" should find "Ingest5C6D7E8F" (the id plus
	// CDK's 8-hex hash), not "IngestServiceRole..." or "IngestFailures...".
	var hashed []string
	for _, id := range found {
		if isHash(id[len(prefix):]) {
			hashed = append(hashed, id)
		}
	}
	if len(hashed) == 1 {
		return hashed[0], nil
	}
	sort.Strings(found)
	return "", fmt.Errorf("prefix %q is ambiguous: %v", prefix, found)
}

// FunctionFolder returns the "adpulse:function" metadata of a function: the folder under
// functions/ that holds its main package.
func (t *Template) FunctionFolder(id string) (string, error) {
	raw, ok := t.Resources[id].Metadata["adpulse:function"]
	if !ok {
		return "", fmt.Errorf("function %s: no adpulse:function metadata", id)
	}
	var folder string
	if err := json.Unmarshal(raw, &folder); err != nil || folder == "" {
		return "", fmt.Errorf("function %s: adpulse:function metadata is not a name", id)
	}
	return folder, nil
}

// isHash reports whether s looks like the 8-hex-digit suffix CDK gives logical ids.
func isHash(s string) bool {
	if len(s) != 8 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789ABCDEF", c) {
			return false
		}
	}
	return true
}
