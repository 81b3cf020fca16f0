// Package aggregate is the core of the aggregate function: it folds a Kinesis batch of
// event records into per-campaign and per-ad rollups and applies them to DynamoDB so that
// each event counts exactly once, whatever Lambda retries or senders repeat.
//
// The mechanism (a per-shard de-duplication log plus a per-shard watermark on every rollup
// row) is described in docs/design.md. In short: each batch appends the fingerprints of
// its events to the shard's log, one conditional put per minute of event time, so a copy
// of an event that another record carried is found there and skipped; each rollup row is
// written with one conditional update that adds the batch's delta and moves the row's
// watermark, so a redelivered batch adds nothing twice.
package aggregate
