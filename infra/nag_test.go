package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// TestCdkNag applies the cdk-nag AwsSolutions pack to a fresh stack (the pack is an aspect,
// so it must be added before synthesis) and fails on every error it reports that
// infra/nag.go does not suppress with a reason. `make nag` runs this test alone.
func TestCdkNag(t *testing.T) {
	dir := t.TempDir()
	for _, fn := range assetFunctions {
		if err := os.MkdirAll(filepath.Join(dir, fn), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fn, "bootstrap"), []byte("#!/bin/sh\n"),
			0o755); err != nil {
			t.Fatal(err)
		}
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(filepath.Join(dir, "cdk.out"))})
	stack := NewAdpulseStack(app, StackID, &AdpulseStackProps{
		AssetDir: func(fn string) string { return filepath.Join(dir, fn) },
	})
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{
		Verbose: jsii.Bool(true),
	}), nil)

	annotations := assertions.Annotations_FromStack(stack)
	errs := annotations.FindError(jsii.String("*"),
		assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*")))
	var msgs []string
	for _, m := range *errs {
		msgs = append(msgs, fmt.Sprintf("%s: %v", *m.Id, m.Entry.Data))
	}
	sort.Strings(msgs)
	for _, m := range msgs {
		t.Error(m)
	}
}
