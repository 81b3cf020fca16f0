// Package mgmt holds the end-to-end tests of the management API: sign-in, users, ingest
// keys and campaigns, through the local stack's API proxy and Lambda authorizer, with
// the real template and functions. Every request and answer of the tests is validated
// against the OpenAPI document (docs/openapi.json) with libopenapi-validator.
package mgmt
