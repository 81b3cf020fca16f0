package main

import (
	"testing"
)

// liveAliasID returns the logical id of the alias live of the function in folder.
func liveAliasID(t *testing.T, folder string) string {
	t.Helper()
	fn := functionID(t, folder)
	var found []string
	for id, r := range resources {
		if field(r, "Type") == "AWS::Lambda::Alias" &&
			field(r, "Properties", "Name") == liveAliasName &&
			containsJSON([]any{field(r, "Properties", "FunctionName")}, ref(fn)) {
			found = append(found, id)
		}
	}
	if len(found) != 1 {
		t.Fatalf("function %s: want one alias %s, got %v", folder, liveAliasName, found)
	}
	return found[0]
}

// liveFunctionName is the template form of an event source mapping's FunctionName for the
// alias live of the function in folder: "<function name>:live".
func liveFunctionName(t *testing.T, folder string) obj {
	split := obj{"Fn::Split": []any{":", ref(liveAliasID(t, folder))}}
	return obj{"Fn::Join": []any{"", []any{obj{"Fn::Select": []any{6, split}}, ":live"}}}
}

func TestCanaryDeployments(t *testing.T) {
	// GIVEN every function WHEN reading its deployments THEN its alias live points at its
	// current version, and one CodeDeploy group shifts that alias 10% for 5 minutes, then
	// all, rolling back on the function's alarms, a failure or a stop.
	for _, folder := range assetFunctions {
		t.Run(folder, func(t *testing.T) {
			alias := liveAliasID(t, folder)
			version := field(resources[alias], "Properties", "FunctionVersion", "Fn::GetAtt")
			if v, _ := version.([]any); len(v) != 2 || v[1] != "Version" ||
				field(resources[v[0].(string)], "Type") != "AWS::Lambda::Version" {
				t.Errorf("alias %s FunctionVersion: got %v, want a Version", alias, version)
			}
			group, _ := field(resources[alias], "UpdatePolicy", "CodeDeployLambdaAliasUpdate",
				"DeploymentGroupName", "Ref").(string)
			props := field(resources[group], "Properties")
			if field(props, "DeploymentConfigName") !=
				"CodeDeployDefault.LambdaCanary10Percent5Minutes" {
				t.Errorf("group %q config: got %v", group, field(props, "DeploymentConfigName"))
			}
			rollback, _ := field(props, "AutoRollbackConfiguration", "Events").([]any)
			for _, event := range []string{"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"} {
				if !containsJSON(rollback, event) {
					t.Errorf("group %q rolls back on %v, want %s", group, rollback, event)
				}
			}
			checkGroupAlarms(t, group, functionID(t, folder))
		})
	}
}

// checkGroupAlarms asserts that deployment group watches the Errors and Throttles alarms
// of the function with logical id fn.
func checkGroupAlarms(t *testing.T, group, fn string) {
	t.Helper()
	if field(resources[group], "Properties", "AlarmConfiguration", "Enabled") != true {
		t.Errorf("group %s: alarms not enabled", group)
	}
	alarms, _ := field(resources[group], "Properties", "AlarmConfiguration", "Alarms").([]any)
	for _, metric := range []string{"Errors", "Throttles"} {
		ids := alarmOn(metric, "FunctionName", ref(fn))
		if len(ids) != 1 || !containsJSON(alarms, obj{"Name": ref(ids[0])}) {
			t.Errorf("group %s alarms %v lack the %s alarm %v", group, alarms, metric, ids)
		}
	}
}

func TestInvocationsGoThroughLiveAlias(t *testing.T) {
	// GIVEN the stack WHEN reading the invoke permissions THEN every one is on an alias:
	// nothing invokes a function's unpublished $LATEST.
	for id, r := range resources {
		if field(r, "Type") != "AWS::Lambda::Permission" {
			continue
		}
		target, _ := field(r, "Properties", "FunctionName", "Ref").(string)
		if field(resources[target], "Type") != "AWS::Lambda::Alias" {
			t.Errorf("permission %s on %v, want an alias", id,
				field(r, "Properties", "FunctionName"))
		}
	}
}
