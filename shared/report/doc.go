// Package report answers the reporting questions of the management API from the rollups
// the aggregate function keeps in the Aggregates table: one campaign's performance over
// any range at minute, hour, day or total granularity, and the tenant's campaigns ranked
// by any metric with their budget pacing.
//
// Output rows follow the asked time zone (23- and 25-hour days included); the stored
// buckets are UTC. Plan covers each row with the coarsest stored buckets that tile it
// exactly (months, then days, hours, minutes), so a long report is a few range queries.
// Reach (unique users) merges the hourly HyperLogLog sketches overlapping each row.
//
// Metrics are computed with integer arithmetic on micros, so JSON and CSV (which prints
// the same numbers as decimals of the currency) agree exactly. docs/reports.md describes
// the endpoints, columns, formulas and costs.
package report
