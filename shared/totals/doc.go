// Package totals names the rows of the Aggregates table and reads them back.
//
// Every rollup row exists once per Kinesis shard (each shard's aggregate invocation is
// its only writer, which is what makes its watermark safe), so a reader sums the rows of
// all shards. The layout is described in docs/design.md.
package totals
