package template

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Function is an AWS::Lambda::Function with its local values resolved.
type Function struct {
	LogicalID string
	Name      string            // physical function name
	ARN       string            // function ARN
	RoleARN   string            // execution role ARN (invokeIdentityArn of Kinesis records)
	Folder    string            // folder under functions/ (adpulse:function metadata)
	Env       map[string]string // Environment.Variables, resolved
	Timeout   time.Duration     // default 3 s, as Lambda
	MemoryMB  int               // default 128, as Lambda
}

// Functions returns every Lambda function of the template, sorted by logical id.
func (v *Values) Functions() ([]Function, error) {
	var out []Function
	for _, id := range v.tpl.LogicalIDs(TypeFunction) {
		var p struct {
			Role        json.RawMessage
			Timeout     int
			MemorySize  int
			Environment struct {
				Variables map[string]json.RawMessage
			}
		}
		if err := v.tpl.Properties(id, &p); err != nil {
			return nil, err
		}
		folder, err := v.tpl.FunctionFolder(id)
		if err != nil {
			return nil, err
		}
		fn := Function{LogicalID: id, Name: v.Name(id), Folder: folder,
			Env: make(map[string]string), Timeout: 3 * time.Second, MemoryMB: 128}
		fn.ARN, _ = v.Attr(id, "Arn")
		if len(p.Role) > 0 {
			if fn.RoleARN, err = v.ResolveString(p.Role); err != nil {
				return nil, fmt.Errorf("function %s role: %w", id, err)
			}
		}
		if p.Timeout > 0 {
			fn.Timeout = time.Duration(p.Timeout) * time.Second
		}
		if p.MemorySize > 0 {
			fn.MemoryMB = p.MemorySize
		}
		for k, raw := range p.Environment.Variables {
			if fn.Env[k], err = v.ResolveString(raw); err != nil {
				return nil, fmt.Errorf("function %s env %s: %w", id, k, err)
			}
			if fn.Env[k], err = v.ResolveDynamic(fn.Env[k]); err != nil {
				return nil, fmt.Errorf("function %s env %s: %w", id, k, err)
			}
		}
		out = append(out, fn)
	}
	return out, nil
}

// Mapping is an AWS::Lambda::EventSourceMapping with its local values resolved. Durations
// and counts keep the AWS meaning of their zero values documented on each field.
type Mapping struct {
	LogicalID        string
	SourceARN        string // EventSourceArn
	SourceID         string // logical id of the source stream (or queue)
	FunctionID       string // logical id of the function
	BatchSize        int    // 0: the AWS default (100 for Kinesis)
	Window           time.Duration
	Bisect           bool
	MaxRetries       int           // -1: infinite (the AWS default)
	MaxRecordAge     time.Duration // -1 s: infinite (the AWS default)
	Parallelization  int
	ReportItemErrors bool // FunctionResponseTypes has ReportBatchItemFailures
	StartingPosition string
	StartTimestamp   time.Time
	OnFailureARN     string // DestinationConfig.OnFailure.Destination
	OnFailureID      string // logical id of the on-failure destination
}

// mappingProps are the raw properties of an event source mapping.
type mappingProps struct {
	EventSourceArn                 json.RawMessage
	FunctionName                   json.RawMessage
	BatchSize                      int
	MaximumBatchingWindowInSeconds int
	BisectBatchOnFunctionError     bool
	MaximumRetryAttempts           *int
	MaximumRecordAgeInSeconds      *int
	ParallelizationFactor          int
	FunctionResponseTypes          []string
	StartingPosition               string
	StartingPositionTimestamp      float64
	DestinationConfig              struct {
		OnFailure struct{ Destination json.RawMessage }
	}
}

// Mappings returns every event source mapping of the template, sorted by logical id.
func (v *Values) Mappings() ([]Mapping, error) {
	var out []Mapping
	for _, id := range v.tpl.LogicalIDs(TypeMapping) {
		var p mappingProps
		if err := v.tpl.Properties(id, &p); err != nil {
			return nil, err
		}
		m, err := v.mapping(id, p)
		if err != nil {
			return nil, fmt.Errorf("event source mapping %s: %w", id, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// mapping resolves the properties of one event source mapping.
func (v *Values) mapping(id string, p mappingProps) (Mapping, error) {
	m := Mapping{LogicalID: id, BatchSize: p.BatchSize, Bisect: p.BisectBatchOnFunctionError,
		Window:     time.Duration(p.MaximumBatchingWindowInSeconds) * time.Second,
		MaxRetries: -1, MaxRecordAge: -time.Second,
		Parallelization:  max(p.ParallelizationFactor, 1),
		StartingPosition: p.StartingPosition}
	if p.StartingPositionTimestamp > 0 {
		m.StartTimestamp = time.UnixMilli(int64(p.StartingPositionTimestamp * 1000))
	}
	if p.MaximumRetryAttempts != nil {
		m.MaxRetries = *p.MaximumRetryAttempts
	}
	if p.MaximumRecordAgeInSeconds != nil {
		m.MaxRecordAge = time.Duration(*p.MaximumRecordAgeInSeconds) * time.Second
	}
	for _, t := range p.FunctionResponseTypes {
		m.ReportItemErrors = m.ReportItemErrors || t == "ReportBatchItemFailures"
	}
	var err error
	if m.SourceARN, err = v.ResolveString(p.EventSourceArn); err != nil {
		return m, fmt.Errorf("EventSourceArn: %w", err)
	}
	m.SourceID = v.idByAttr("Arn", m.SourceARN)
	fn, err := v.ResolveString(p.FunctionName)
	if err != nil {
		return m, fmt.Errorf("FunctionName: %w", err)
	}
	m.FunctionID = v.functionOf(fn)
	if m.FunctionID == "" {
		return m, fmt.Errorf("FunctionName %q: no function of the template", fn)
	}
	if dest := p.DestinationConfig.OnFailure.Destination; len(dest) > 0 {
		if m.OnFailureARN, err = v.ResolveString(dest); err != nil {
			return m, fmt.Errorf("OnFailure destination: %w", err)
		}
		m.OnFailureID = v.idByAttr("Arn", m.OnFailureARN)
	}
	return m, nil
}

// idByRef returns the logical id of the resource of type typ whose Ref is ref.
func (v *Values) idByRef(typ, ref string) string {
	for _, id := range v.tpl.LogicalIDs(typ) {
		if v.byID[id].Ref == ref {
			return id
		}
	}
	return ""
}

// idByAttr returns the logical id of the resource whose attribute attr is value.
func (v *Values) idByAttr(attr, value string) string {
	ids := make([]string, 0, len(v.byID))
	for id := range v.byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if v.byID[id].Attrs[attr] == value {
			return id
		}
	}
	return ""
}

// functionOf returns the logical id of the function a name or ARN names, unqualified or
// qualified by an alias or version ("name:live", "arn:...:function:name:live"), or ""
// when it names none of the template. The stack runs one process per function, so an
// alias is served by its function.
func (v *Values) functionOf(nameOrARN string) string {
	if id := v.idByRef(TypeFunction, nameOrARN); id != "" {
		return id
	}
	if id := v.idByAttr("Arn", nameOrARN); id != "" {
		return id
	}
	parts := strings.Split(nameOrARN, ":")
	switch {
	case len(parts) == 8 && parts[5] == "function":
		return v.idByAttr("Arn", strings.Join(parts[:7], ":"))
	case len(parts) == 2:
		return v.idByRef(TypeFunction, parts[0])
	}
	return ""
}
