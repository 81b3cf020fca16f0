package template

import (
	"fmt"
	"strings"
)

// Local account, region and stack name of every physical value.
const (
	Region    = "us-east-1"
	AccountID = "000000000000"
	StackName = "AdpulseStack"
)

// Physical holds the local physical value of one resource: what Ref returns, and its
// attributes for Fn::GetAtt.
type Physical struct {
	Ref   string
	Attrs map[string]string
}

// Values maps logical ids to physical values. Build it with NewValues, then record values
// only the emulator knows (queue URLs) with Set.
type Values struct {
	tpl      *Template
	endpoint string
	byID     map[string]Physical
}

// NewValues computes the local physical value of every resource of t. endpoint is the
// emulator's base URL (http://127.0.0.1:4566), used for queue URLs until Set replaces
// them with the emulator's own answer.
func NewValues(t *Template, endpoint string) *Values {
	v := &Values{tpl: t, endpoint: strings.TrimSuffix(endpoint, "/"),
		byID: make(map[string]Physical)}
	for id, r := range t.Resources {
		v.byID[id] = v.local(id, r)
	}
	return v
}

// Get returns the physical value of logical id.
func (v *Values) Get(id string) (Physical, bool) {
	p, ok := v.byID[id]
	return p, ok
}

// Set records the physical value of logical id, replacing the computed one.
func (v *Values) Set(id string, p Physical) { v.byID[id] = p }

// SetAttr records one attribute of logical id (and Ref when attr is "Ref").
func (v *Values) SetAttr(id, attr, value string) {
	p := v.byID[id]
	if attr == "Ref" {
		p.Ref = value
	} else {
		if p.Attrs == nil {
			p.Attrs = make(map[string]string)
		}
		p.Attrs[attr] = value
	}
	v.byID[id] = p
}

// Name returns the physical name of logical id: its Ref for named resources.
func (v *Values) Name(id string) string { return v.byID[id].Ref }

// Attr returns attribute attr of logical id, or an error naming what is missing.
func (v *Values) Attr(id, attr string) (string, error) {
	p, ok := v.byID[id]
	if !ok {
		return "", fmt.Errorf("GetAtt %s.%s: no such resource", id, attr)
	}
	a, ok := p.Attrs[attr]
	if !ok {
		return "", fmt.Errorf("GetAtt %s.%s: attribute unknown locally", id, attr)
	}
	return a, nil
}

// local computes the physical value of one resource from its type.
func (v *Values) local(id string, r Resource) Physical {
	name := v.literalName(id, r)
	arn := func(service, rest string) string {
		return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, Region, AccountID, rest)
	}
	switch r.Type {
	case TypeStream:
		return Physical{Ref: name, Attrs: map[string]string{"Arn": arn("kinesis", "stream/"+name)}}
	case TypeTable, "AWS::DynamoDB::GlobalTable":
		tableARN := arn("dynamodb", "table/"+name)
		return Physical{Ref: name, Attrs: map[string]string{
			"Arn": tableARN, "StreamArn": tableARN + "/stream/local"}}
	case TypeQueue:
		url := fmt.Sprintf("%s/%s/%s", v.endpoint, AccountID, name)
		return Physical{Ref: url, Attrs: map[string]string{
			"Arn": arn("sqs", name), "QueueName": name, "QueueUrl": url}}
	case TypeFunction:
		return Physical{Ref: name,
			Attrs: map[string]string{"Arn": arn("lambda", "function:"+name)}}
	case TypeRole:
		return Physical{Ref: name, Attrs: map[string]string{
			"Arn": fmt.Sprintf("arn:aws:iam::%s:role/%s", AccountID, name), "RoleId": name}}
	case TypeAlias:
		// Its Ref is the function's ARN qualified by the alias name; the stack invokes
		// the function itself for it (FunctionOfARN).
		var p struct {
			FunctionName map[string]string
			Name         string
		}
		_ = v.tpl.Properties(id, &p)
		fnID := p.FunctionName["Ref"]
		fnName := v.literalName(fnID, v.tpl.Resources[fnID])
		return Physical{Ref: arn("lambda", "function:"+fnName+":"+p.Name),
			Attrs: map[string]string{}}
	case TypeRestAPI:
		return Physical{Ref: strings.ToLower(id), Attrs: map[string]string{"RootResourceId": "/"}}
	case TypeSecret:
		// Provisioning replaces it with the emulator's ARN, which has a random suffix.
		return Physical{Ref: arn("secretsmanager", "secret:"+name), Attrs: map[string]string{}}
	case TypeStage:
		var p struct{ StageName string }
		_ = v.tpl.Properties(id, &p)
		return Physical{Ref: p.StageName}
	}
	return Physical{Ref: id, Attrs: map[string]string{}}
}

// nameProps lists the property that names a resource of each type.
var nameProps = map[string]string{
	TypeStream: "Name", TypeTable: "TableName", "AWS::DynamoDB::GlobalTable": "TableName",
	TypeQueue: "QueueName", TypeFunction: "FunctionName", TypeRole: "RoleName",
	TypeSecret: "Name",
}

// literalName returns the name the template gives the resource as a literal string, or
// the logical id when it gives none (or one built from intrinsics).
func (v *Values) literalName(id string, r Resource) string {
	prop, ok := nameProps[r.Type]
	if !ok {
		return id
	}
	var props map[string]any
	if err := v.tpl.Properties(id, &props); err != nil {
		return id
	}
	if s, ok := props[prop].(string); ok && s != "" {
		return s
	}
	return id
}
