package provision

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/adpulse/adpulse/devstack/template"
)

// tableProps are the properties of AWS::DynamoDB::Table the local table needs. Their
// JSON names are CloudFormation's, which match the DynamoDB API's for these fields.
type tableProps struct {
	KeySchema               []ddbtypes.KeySchemaElement
	AttributeDefinitions    []ddbtypes.AttributeDefinition
	GlobalSecondaryIndexes  []index
	LocalSecondaryIndexes   []index
	TimeToLiveSpecification *struct {
		AttributeName string
		Enabled       bool
	}
}

// index is a secondary index as the template declares it.
type index struct {
	IndexName  string
	KeySchema  []ddbtypes.KeySchemaElement
	Projection ddbtypes.Projection
}

// table creates one DynamoDB table (on demand) with its indexes and TTL.
func table(ctx context.Context, db *dynamodb.Client, tpl *template.Template,
	id, name string) error {
	var p tableProps
	if err := tpl.Properties(id, &p); err != nil {
		return err
	}
	in := &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		KeySchema:            p.KeySchema,
		AttributeDefinitions: p.AttributeDefinitions,
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	}
	for _, g := range p.GlobalSecondaryIndexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes,
			ddbtypes.GlobalSecondaryIndex{IndexName: aws.String(g.IndexName),
				KeySchema: g.KeySchema, Projection: &g.Projection})
	}
	for _, l := range p.LocalSecondaryIndexes {
		in.LocalSecondaryIndexes = append(in.LocalSecondaryIndexes,
			ddbtypes.LocalSecondaryIndex{IndexName: aws.String(l.IndexName),
				KeySchema: l.KeySchema, Projection: &l.Projection})
	}
	_, err := db.CreateTable(ctx, in)
	var inUse *ddbtypes.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	if ttl := p.TimeToLiveSpecification; ttl != nil && ttl.Enabled {
		_, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName: aws.String(name),
			TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{
				AttributeName: aws.String(ttl.AttributeName), Enabled: aws.Bool(true)},
		})
		if err != nil && !errors.As(err, new(*ddbtypes.ResourceInUseException)) {
			return fmt.Errorf("enable ttl on %s: %w", name, err)
		}
	}
	return nil
}

// marshal encodes v as compact JSON.
func marshal(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode: %w", err)
	}
	return string(b), nil
}
