// Package campaign is the campaign resource of the management API: the model and its
// validation (every failing field at once), the status state machine, JSON Merge Patch,
// field-level diffs for the audit log, ETags, and the DynamoDB store that keeps
// campaigns, their audit entries and POST idempotency records in one table partitioned
// by tenant.
//
// The tenant always comes from the caller's principal; nothing here reads a tenant
// from a request body.
package campaign
