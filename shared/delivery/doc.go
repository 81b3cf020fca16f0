// Package delivery keeps the delivery state of each channel of each notification in
// DynamoDB, so that the notifier sends a channel at most once per claim and never again
// once it is delivered, whatever duplicate queue deliveries and retries do.
//
// One item per (notification, channel), in the table of the rules (the attempts
// themselves go to the rule's delivery log, rules.Store.AppendDelivery):
//
//	pk "dc#<tenant>#<notification id>"   sk "c<channel index, 2 digits>"
//	status (pending | sending | delivered | gave_up), attempts (N), lease_until (N, ms),
//	last_error (S), delivered_at (N, ms), expires_at (N, TTL seconds)
//
// A channel moves pending → sending (claimed, with a lease) → delivered, or back to
// pending after a failed attempt, or to gave_up. A conditional write takes the claim;
// an expired lease (a crashed invocation) may be claimed again.
package delivery
