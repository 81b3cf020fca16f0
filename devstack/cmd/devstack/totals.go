package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/adpulse/adpulse/devstack"
	"github.com/adpulse/adpulse/devstack/kumo"
	"github.com/adpulse/adpulse/devstack/scenario"
	"github.com/adpulse/adpulse/devstack/template"
)

// totals prints the campaign totals of a tenant in the stack that up started.
func totals(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("totals", flag.ExitOnError)
	tenant := fs.String("tenant", "", "tenant whose campaigns to show (default: the demo tenant)")
	format := fs.String("format", "table", "table or json")
	_ = fs.Parse(args)

	root, err := devstack.FindRoot()
	if err != nil {
		return err
	}
	st, err := readState(statePath(root))
	if errors.Is(err, os.ErrNotExist) {
		return errors.New("no local stack is running: start one with make up")
	}
	if err != nil {
		return err
	}
	if *tenant == "" {
		*tenant = st.TenantID
	}
	tpl, err := template.Load(root + "/" + devstack.TemplatePath)
	if err != nil {
		return err
	}
	id, err := tpl.FindByPrefix("Aggregates")
	if err != nil {
		return err
	}
	table := template.NewValues(tpl, st.Endpoint).Name(id)

	db := dynamodb.NewFromConfig(kumo.Config(st.Endpoint))
	rows, err := scenario.ListCampaigns(ctx, db, table, *tenant)
	if err != nil {
		return err
	}
	if *format == "json" {
		return scenario.PrintJSON(os.Stdout, rows)
	}
	if len(rows) == 0 {
		fmt.Printf("tenant %s has no totals yet\n", *tenant)
		return nil
	}
	return scenario.PrintCampaigns(os.Stdout, rows)
}
