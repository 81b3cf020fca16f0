// Package features holds the end-to-end tests of alerts (docs/rules.md,
// docs/notifications.md), reports (docs/reports.md) and frequency capping
// (docs/capping.md) on the local stack: the synthesized template with the real
// functions, every Kinesis batch delivered twice, the notifications queue delivered by
// the SQS event source mapping, SES on kumo and the demo webhook receiver.
package features
