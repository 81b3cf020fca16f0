// Package rules is the alert rule resource: the model and its validation (every failing
// field at once), the evaluation engine (metric values from campaign totals, AND/OR of
// conditions, minimum volume) and the edge-triggered state machine (ok, pending,
// firing; "for", cooldown, resolved notices, silence on paused campaigns), stable
// notification ids, and the DynamoDB stores of rules, evaluation states and the
// delivery log, all in one table.
//
// The engine is pure: Holds and Step read nothing but their arguments and allocate
// nothing, so the stream evaluator can run them for every campaign whose totals moved.
// The behaviour is documented for users in docs/rules.md.
package rules
