package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// The stack is synthesized once per test binary (several seconds through jsii) by TestMain.
var (
	// tmpl is the synthesized template, for assertions calls.
	tmpl assertions.Template
	// resources is the template's Resources section, for inspection in plain Go.
	resources map[string]any
	// assetRoot holds the dummy bootstraps, for tests that synthesize another stack.
	assetRoot string
)

// assetFunctions are the folders the stack expects a bootstrap for.
var assetFunctions = []string{"ingest", "aggregate", "auth", "authorizer", "admin", "campaigns",
	"rules", "notifier", "reports", "decide", "caps", "health"}

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

// runTests synthesizes the stack into a temporary directory, then runs the tests.
func runTests(m *testing.M) int {
	defer jsii.Close()

	dir, err := os.MkdirTemp("", "adpulse-infra-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)

	if err := synthesize(dir); err != nil {
		fmt.Fprintln(os.Stderr, "synthesize stack:", err)
		return 1
	}
	return m.Run()
}

// synthesize builds the stack with dummy bootstraps under dir and sets tmpl and resources.
func synthesize(dir string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()

	for _, fn := range assetFunctions {
		if err := os.MkdirAll(filepath.Join(dir, fn), 0o755); err != nil {
			return err
		}
		bootstrap := filepath.Join(dir, fn, "bootstrap")
		if err := os.WriteFile(bootstrap, []byte("#!/bin/sh\n"), 0o755); err != nil {
			return err
		}
	}

	assetRoot = dir
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(filepath.Join(dir, "cdk.out"))})
	stack := NewAdpulseStack(app, StackID, &AdpulseStackProps{
		AssetDir: func(fn string) string { return filepath.Join(dir, fn) },
	})
	tmpl = assertions.Template_FromStack(stack, nil)

	all := *tmpl.ToJSON()
	res, ok := all["Resources"].(map[string]any)
	if !ok {
		return errors.New("template has no Resources")
	}
	resources = res
	return nil
}

// check runs one assertions call. A failed match panics through jsii; check turns that into a
// failure of t alone, so the other tests of the binary still run.
func check(t *testing.T, what string, assertion func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s:\n%v", what, r)
		}
	}()
	assertion()
}

// obj is a shorthand for the JSON objects of templates and matchers.
type obj = map[string]any

// like matches an object holding at least pattern's keys.
func like(pattern obj) assertions.Matcher { return assertions.Match_ObjectLike(&pattern) }

// ref is the template form of {"Ref": id}.
func ref(id string) obj { return obj{"Ref": id} }

// arnOf is the template form of {"Fn::GetAtt": [id, "Arn"]}.
func arnOf(id string) obj { return obj{"Fn::GetAtt": []any{id, "Arn"}} }

// logicalID returns the logical id of the one resource of cfnType made by the construct with
// id constructID directly under the stack (the id plus CDK's 8-hex-digit hash).
func logicalID(t *testing.T, cfnType, constructID string) string {
	t.Helper()
	pattern := regexp.MustCompile("^" + regexp.QuoteMeta(constructID) + "[0-9A-F]{8}$")
	var found []string
	for id, r := range resources {
		if pattern.MatchString(id) && field(r, "Type") == cfnType {
			found = append(found, id)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %s %q, got %v", cfnType, constructID, found)
	}
	return found[0]
}

// field walks keys down nested JSON objects; it returns nil where a key is missing.
func field(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// functionID returns the logical id of the function tagged with folder in its metadata.
func functionID(t *testing.T, folder string) string {
	t.Helper()
	for id, r := range resources {
		if field(r, "Type") == "AWS::Lambda::Function" &&
			field(r, "Metadata", functionMetadataKey) == folder {
			return id
		}
	}
	t.Fatalf("no function with metadata %s=%q", functionMetadataKey, folder)
	return ""
}

// apiResourceID follows PathPart/ParentId from the root of the REST API down the parts of
// path and returns the logical id of its AWS::ApiGateway::Resource.
func apiResourceID(t *testing.T, parts ...string) string {
	t.Helper()
	var parent any = obj{"Fn::GetAtt": []any{logicalID(t, "AWS::ApiGateway::RestApi", "Api"),
		"RootResourceId"}}
	id := ""
	for _, part := range parts {
		id = ""
		for rid, r := range resources {
			if field(r, "Type") == "AWS::ApiGateway::Resource" &&
				field(r, "Properties", "PathPart") == part &&
				reflect.DeepEqual(field(r, "Properties", "ParentId"), parent) {
				id = rid
			}
		}
		if id == "" {
			t.Fatalf("no API resource %q under %v", part, parent)
		}
		parent = ref(id)
	}
	return id
}

// permissions lists the "action on resource" pairs that the IAM policies attached to the role
// of the function tagged folder allow. A resource that is the ARN of a stack resource is
// written as its logical id.
func permissions(t *testing.T, folder string) []string {
	t.Helper()
	roleARN := field(resources[functionID(t, folder)], "Properties", "Role")
	roleID, _ := field(roleARN, "Fn::GetAtt").([]any)
	if len(roleID) != 2 {
		t.Fatalf("function %s: role is not a stack resource: %v", folder, roleARN)
	}

	roleRef := ref(fmt.Sprint(roleID[0]))
	var out []string
	for _, r := range resources {
		roles, _ := field(r, "Properties", "Roles").([]any)
		if field(r, "Type") != "AWS::IAM::Policy" || !containsJSON(roles, roleRef) {
			continue
		}
		statements, _ := field(r, "Properties", "PolicyDocument", "Statement").([]any)
		for _, s := range statements {
			out = append(out, statementPairs(s)...)
		}
	}
	sort.Strings(out)
	return out
}

// statementPairs expands one Allow statement into "action on resource" pairs.
func statementPairs(statement any) []string {
	if field(statement, "Effect") != "Allow" {
		return nil
	}
	var out []string
	for _, action := range asList(field(statement, "Action")) {
		for _, resource := range asList(field(statement, "Resource")) {
			out = append(out, fmt.Sprintf("%v on %s", action, resourceName(resource)))
		}
	}
	return out
}

// resourceName writes a policy resource as the logical id it names: GetAtt Arn and Ref
// (a secret's ARN) become the id, and a join of an ARN and a literal ("/index/by-tenant")
// becomes the id followed by the literal.
func resourceName(resource any) string {
	if getAtt, ok := field(resource, "Fn::GetAtt").([]any); ok && len(getAtt) == 2 {
		return fmt.Sprint(getAtt[0])
	}
	if id, ok := field(resource, "Ref").(string); ok {
		return id
	}
	if join, ok := field(resource, "Fn::Join").([]any); ok && len(join) == 2 {
		parts, _ := join[1].([]any)
		var name string
		for _, p := range parts {
			if text, ok := p.(string); ok {
				name += text
			} else {
				name += resourceName(p)
			}
		}
		return name
	}
	return fmt.Sprint(resource)
}

// asList returns v as a list: IAM writes a single action or resource without the array.
func asList(v any) []any {
	if list, ok := v.([]any); ok {
		return list
	}
	return []any{v}
}

// containsJSON reports whether list holds a value deeply equal to want.
func containsJSON(list []any, want any) bool {
	for _, v := range list {
		if reflect.DeepEqual(v, want) {
			return true
		}
	}
	return false
}
