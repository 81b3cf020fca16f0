package main

import (
	"testing"
)

// withRateLimit adds the per-user limit's environment to a function's variables.
func withRateLimit(t *testing.T, vars obj) obj {
	t.Helper()
	vars["RATE_LIMITS_TABLE"] = ref(logicalID(t, "AWS::DynamoDB::Table", "RateLimits"))
	vars["USER_RATE_LIMIT"] = "600"
	vars["USER_RATE_WINDOW_SECONDS"] = "60"
	return vars
}

func TestUserRateLimits(t *testing.T) {
	// GIVEN the stack WHEN reading the RateLimits table and the functions THEN the table
	// keys on pk and expires items by expires_at, and exactly the five functions behind the
	// authorizer count in it, each allowed UpdateItem on it and nothing else there.
	id := logicalID(t, "AWS::DynamoDB::Table", "RateLimits")
	props := field(resources[id], "Properties")
	keys, _ := field(props, "KeySchema").([]any)
	if len(keys) != 1 || field(keys[0], "AttributeName") != "pk" {
		t.Errorf("KeySchema: got %v, want pk only", keys)
	}
	if field(props, "TimeToLiveSpecification", "AttributeName") != "expires_at" ||
		field(props, "TimeToLiveSpecification", "Enabled") != true {
		t.Errorf("TTL: got %v", field(props, "TimeToLiveSpecification"))
	}

	want := map[string]bool{"admin": true, "campaigns": true, "rules": true,
		"reports": true, "caps": true}
	arn := obj{"Fn::GetAtt": []any{id, "Arn"}}
	for fid, r := range resources {
		if field(r, "Type") != "AWS::Lambda::Function" {
			continue
		}
		folder, _ := field(r, "Metadata", functionMetadataKey).(string)
		env := field(r, "Properties", "Environment", "Variables")
		limited := field(env, "RATE_LIMITS_TABLE") != nil
		if limited != want[folder] {
			t.Errorf("%s: RATE_LIMITS_TABLE set %v, want %v", folder, limited, want[folder])
		}
		var actions []any
		for _, st := range statementsOf(t, fid) {
			if containsJSON([]any{field(st, "Resource")}, arn) {
				actions = append(actions, field(st, "Action"))
			}
		}
		switch {
		case want[folder] && (len(actions) != 1 || actions[0] != "dynamodb:UpdateItem"):
			t.Errorf("%s: actions on RateLimits %v, want dynamodb:UpdateItem", folder, actions)
		case !want[folder] && len(actions) != 0:
			t.Errorf("%s: actions on RateLimits %v, want none", folder, actions)
		}
	}
}

// statementsOf returns every policy statement of the role of the function fid.
func statementsOf(t *testing.T, fid string) []any {
	t.Helper()
	getAtt, _ := field(resources[fid], "Properties", "Role", "Fn::GetAtt").([]any)
	if len(getAtt) != 2 {
		t.Fatalf("%s: role is not a GetAtt: %v", fid, getAtt)
	}
	var out []any
	for _, r := range resources {
		if field(r, "Type") != "AWS::IAM::Policy" {
			continue
		}
		roles, _ := field(r, "Properties", "Roles").([]any)
		if !containsJSON(roles, obj{"Ref": getAtt[0]}) {
			continue
		}
		st, _ := field(r, "Properties", "PolicyDocument", "Statement").([]any)
		out = append(out, st...)
	}
	return out
}
