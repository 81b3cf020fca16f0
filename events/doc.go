// Package events holds no code: its folders hold sample inputs of the functions, in the
// exact shape Lambda delivers them, for `make invoke` and as test fixtures.
//
//   - ingest/*.json: events.APIGatewayProxyRequest (API Gateway REST API, proxy
//     integration) as the ingest function receives them.
//   - aggregate/*.json: events.KinesisEvent as the aggregate function receives them from
//     its event source mapping; each record's data is a record written by event.Pack.
//   - auth/*.json, admin/*.json, campaigns/*.json: events.APIGatewayProxyRequest of the
//     management routes; admin and campaigns samples carry the authorizer's principal in
//     requestContext.authorizer, as they arrive behind the Lambda authorizer.
//   - authorizer/*.json: events.APIGatewayCustomAuthorizerRequestTypeRequest, the REQUEST
//     authorizer's input.
//   - rules/*.json, reports/*.json, caps/*.json: events.APIGatewayProxyRequest of routes
//     behind the authorizer; decide/*.json: of the public decision route with its
//     x-api-key.
//   - notifier/*.json: events.SQSEvent as the notifier receives batches of the
//     Notifications queue; each body is a notify.Notification.
//
// The management samples were captured from the local stack's API proxy (devstack/apigw)
// serving the synthesized template; their tokens and passwords are fake.
//
// The API keys in the samples are fake. events_test.go decodes every file strictly into
// its function's input type and checks what it carries.
package events
