package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/jsii-runtime-go"
)

// liveAliasName is the alias through which the API, the authorizer and the event source
// mappings invoke every function; CodeDeploy moves it from one version to the next.
const liveAliasName = "live"

// liveAliases memoizes live: one alias per function. The key is the function's jsii
// proxy, so two stacks in one process (tests) never share an alias.
var liveAliases = map[awslambda.Function]awslambda.Alias{}

// live returns the alias `live` of fn on its current version, creating it on first use.
// Everything that invokes fn goes through it, so a deploy shifts all traffic at once.
func live(fn awslambda.Function) awslambda.Alias {
	if a, ok := liveAliases[fn]; ok {
		return a
	}
	a := awslambda.NewAlias(fn, jsii.String("Live"), &awslambda.AliasProps{
		AliasName: jsii.String(liveAliasName),
		Version:   fn.CurrentVersion(),
	})
	liveAliases[fn] = a
	return a
}

// addDeployments gives every function a CodeDeploy deployment group on its live alias:
// 10% of the traffic for 5 minutes, then all, rolled back when one of the function's
// alarms fires, the deployment fails or it is stopped.
func addDeployments(stack awscdk.Stack, fns functions, o observability) {
	app := awscodedeploy.NewLambdaApplication(stack, jsii.String("Deployments"), nil)
	for _, nf := range fns.all() {
		var alarms []interfacesawscloudwatch.IAlarmRef
		for _, a := range o.functionAlarms[nf.id] {
			alarms = append(alarms, a)
		}
		awscodedeploy.NewLambdaDeploymentGroup(stack, jsii.String(nf.id+"Deployment"),
			&awscodedeploy.LambdaDeploymentGroupProps{
				Application:      app,
				Alias:            live(nf.fn),
				DeploymentConfig: awscodedeploy.LambdaDeploymentConfig_CANARY_10PERCENT_5MINUTES(),
				Alarms:           &alarms,
				AutoRollback: &awscodedeploy.AutoRollbackConfig{
					FailedDeployment:  jsii.Bool(true),
					StoppedDeployment: jsii.Bool(true),
					DeploymentInAlarm: jsii.Bool(true),
				},
			})
	}
}
