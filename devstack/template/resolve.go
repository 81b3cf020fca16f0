package template

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// pseudo holds the values of CloudFormation's pseudo parameters.
var pseudo = map[string]string{
	"AWS::Region":    Region,
	"AWS::AccountId": AccountID,
	"AWS::Partition": "aws",
	"AWS::URLSuffix": "amazonaws.com",
	"AWS::StackName": StackName,
	"AWS::StackId": "arn:aws:cloudformation:" + Region + ":" + AccountID +
		":stack/" + StackName + "/local",
	"AWS::NoValue": "",
}

// Resolve replaces the intrinsic functions in a decoded JSON value (as produced by
// encoding/json into any) with local physical values. It understands Ref, Fn::GetAtt,
// Fn::Join, Fn::Sub, Fn::Select and Fn::Split; any other function is an error.
func (v *Values) Resolve(x any) (any, error) {
	switch x := x.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := v.Resolve(e)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return v.intrinsic(k, arg)
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			r, err := v.Resolve(e)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	}
	return x, nil
}

// ResolveString resolves raw JSON (a literal or an intrinsic) to a string. Numbers and
// booleans are formatted as CloudFormation passes them to string properties.
func (v *Values) ResolveString(raw json.RawMessage) (string, error) {
	var x any
	if err := json.Unmarshal(raw, &x); err != nil {
		return "", fmt.Errorf("decode value: %w", err)
	}
	r, err := v.Resolve(x)
	if err != nil {
		return "", err
	}
	return scalar(r)
}

// scalar formats a resolved scalar as a string.
func scalar(x any) (string, error) {
	switch x := x.(type) {
	case string:
		return x, nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(x), nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("value %v is not a scalar", x)
}

// intrinsic evaluates one intrinsic function.
func (v *Values) intrinsic(name string, arg any) (any, error) {
	switch name {
	case "Ref":
		ref, _ := arg.(string)
		return v.ref(ref)
	case "Fn::GetAtt":
		return v.getAtt(arg)
	case "Fn::Join":
		return v.join(arg)
	case "Fn::Sub":
		return v.sub(arg)
	case "Fn::Select":
		return v.sel(arg)
	case "Fn::Split":
		parts, ok := arg.([]any)
		if !ok || len(parts) != 2 {
			return nil, fmt.Errorf("Fn::Split: want [delimiter, string]")
		}
		s, err := v.resolveScalar(parts[1])
		if err != nil {
			return nil, err
		}
		var out []any
		for _, p := range strings.Split(s, fmt.Sprint(parts[0])) {
			out = append(out, p)
		}
		return out, nil
	}
	return nil, fmt.Errorf("intrinsic %s: not supported locally", name)
}

// ref resolves Ref to a pseudo parameter, a parameter default or a resource.
func (v *Values) ref(id string) (string, error) {
	if p, ok := pseudo[id]; ok {
		return p, nil
	}
	if p, ok := v.tpl.Parameters[id]; ok {
		return scalar(p.Default)
	}
	p, ok := v.byID[id]
	if !ok {
		return "", fmt.Errorf("Ref %s: no such resource or parameter", id)
	}
	return p.Ref, nil
}

// getAtt resolves Fn::GetAtt in its list ["Id", "Attr"] or string "Id.Attr" form.
func (v *Values) getAtt(arg any) (string, error) {
	var id, attr string
	switch a := arg.(type) {
	case []any:
		if len(a) == 2 {
			id, _ = a[0].(string)
			attr, _ = a[1].(string)
		}
	case string:
		id, attr, _ = strings.Cut(a, ".")
	}
	if id == "" || attr == "" {
		return "", fmt.Errorf("Fn::GetAtt %v: want [id, attribute]", arg)
	}
	return v.Attr(id, attr)
}

// join resolves Fn::Join [delimiter, [values...]].
func (v *Values) join(arg any) (string, error) {
	parts, ok := arg.([]any)
	if !ok || len(parts) != 2 {
		return "", fmt.Errorf("Fn::Join: want [delimiter, list]")
	}
	list, err := v.Resolve(parts[1])
	if err != nil {
		return "", err
	}
	items, ok := list.([]any)
	if !ok {
		return "", fmt.Errorf("Fn::Join: second argument is not a list")
	}
	strs := make([]string, len(items))
	for i, it := range items {
		if strs[i], err = scalar(it); err != nil {
			return "", fmt.Errorf("Fn::Join: %w", err)
		}
	}
	return strings.Join(strs, fmt.Sprint(parts[0])), nil
}

// subVar matches the ${Name} and ${Name.Attr} placeholders of Fn::Sub.
var subVar = regexp.MustCompile(`\$\{([^}!]+)\}`)

// sub resolves Fn::Sub in its string and [string, {vars}] forms.
func (v *Values) sub(arg any) (string, error) {
	text, vars := "", map[string]any{}
	switch a := arg.(type) {
	case string:
		text = a
	case []any:
		if len(a) == 2 {
			text, _ = a[0].(string)
			vars, _ = a[1].(map[string]any)
		}
	}
	var firstErr error
	out := subVar.ReplaceAllStringFunc(text, func(m string) string {
		name := m[2 : len(m)-1]
		s, err := v.subValue(name, vars)
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("Fn::Sub %s: %w", m, err)
		}
		return s
	})
	return out, firstErr
}

// subValue resolves one Fn::Sub placeholder.
func (v *Values) subValue(name string, vars map[string]any) (string, error) {
	if x, ok := vars[name]; ok {
		return v.resolveScalar(x)
	}
	if id, attr, ok := strings.Cut(name, "."); ok && pseudo[name] == "" {
		return v.Attr(id, attr)
	}
	return v.ref(name)
}

// sel resolves Fn::Select [index, list].
func (v *Values) sel(arg any) (any, error) {
	parts, ok := arg.([]any)
	if !ok || len(parts) != 2 {
		return nil, fmt.Errorf("Fn::Select: want [index, list]")
	}
	idx, err := v.resolveScalar(parts[0])
	if err != nil {
		return nil, err
	}
	i, err := strconv.Atoi(idx)
	if err != nil {
		return nil, fmt.Errorf("Fn::Select index %q: %w", idx, err)
	}
	list, err := v.Resolve(parts[1])
	if err != nil {
		return nil, err
	}
	items, ok := list.([]any)
	if !ok || i < 0 || i >= len(items) {
		return nil, fmt.Errorf("Fn::Select: index %d out of range", i)
	}
	return items[i], nil
}

// resolveScalar resolves x and formats it as a string.
func (v *Values) resolveScalar(x any) (string, error) {
	r, err := v.Resolve(x)
	if err != nil {
		return "", err
	}
	return scalar(r)
}
