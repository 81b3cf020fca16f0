package campaign

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TableInput describes the Campaigns table as the store expects it: pk tenant_id (S),
// sk campaign_id (S), and one local secondary index per sort field (projection ALL),
// billed per request. TTL on expires_at is set separately (UpdateTimeToLive). Tests and
// the local stack create the table from it; the CDK app must match it.
func TableInput(name string) *dynamodb.CreateTableInput {
	attrs := []types.AttributeDefinition{
		{AttributeName: aws.String(AttrTenant), AttributeType: types.ScalarAttributeTypeS},
		{AttributeName: aws.String(AttrSK), AttributeType: types.ScalarAttributeTypeS},
	}
	var lsis []types.LocalSecondaryIndex
	for _, f := range []SortField{SortCreated, SortUpdated, SortName} {
		index, attr := f.Index()
		attrs = append(attrs, types.AttributeDefinition{AttributeName: aws.String(attr),
			AttributeType: types.ScalarAttributeTypeS})
		lsis = append(lsis, types.LocalSecondaryIndex{
			IndexName: aws.String(index),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(AttrTenant), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(attr), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		})
	}
	return &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: attrs,
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(AttrTenant), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(AttrSK), KeyType: types.KeyTypeRange},
		},
		LocalSecondaryIndexes: lsis,
		BillingMode:           types.BillingModePayPerRequest,
	}
}
