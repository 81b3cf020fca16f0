// Package alerting evaluates alert rules on the stream: after the aggregate function has
// applied a batch, it looks at each campaign the batch touched, reads the totals as they
// are now, steps every rule of that campaign through its edge-triggered state machine,
// and puts a notification on the notifications queue for each firing.
//
// One crossing makes exactly one notification: the notification id is derived from the
// rule's episode number, so a retried batch or a concurrent evaluator produces the same
// id. The message is sent before the state transition is claimed; a crash in between
// sends the same notification id again on retry, which the notifier de-duplicates per
// channel. A claim that loses to another evaluator (a conditional write on the state's
// version) changes nothing.
package alerting
