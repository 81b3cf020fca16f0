// Package aggregate is the core of the aggregate function: it folds a Kinesis batch of
// event records into per-campaign and per-ad rollups and applies them to DynamoDB so that
// each event counts exactly once, whatever Lambda retries or senders repeat.
//
// The mechanism (event claims plus a per-shard watermark on every rollup row) is described
// in docs/design.md. In short: a conditional put claims each event for the record that
// carries it, so a duplicate from another record is skipped; each rollup row is written
// with one conditional update that adds the batch's delta and moves the row's watermark,
// so a redelivered batch adds nothing twice.
package aggregate
