package main

import (
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// StackID is the construct id of the stack and the name of its template file in cdk.out.
const StackID = "AdpulseStack"

// defaultOutdir is where the app writes the cloud assembly when run outside the CDK CLI.
const defaultOutdir = "cdk.out"

func main() {
	defer jsii.Close()

	app := awscdk.NewApp(appProps())
	NewAdpulseStack(app, StackID, &AdpulseStackProps{})
	app.Synth(nil)
}

// appProps sets the output directory when CDK_OUTDIR is unset: outside the CLI, the app would
// otherwise synthesize into a temporary directory that nobody reads.
func appProps() *awscdk.AppProps {
	if os.Getenv("CDK_OUTDIR") != "" {
		return nil
	}
	return &awscdk.AppProps{Outdir: jsii.String(defaultOutdir)}
}
