// Package loadgen is the bounded load generator of the local stack: N concurrent senders
// post generated traffic (shared/traffic) in batches to the ingest API at a target rate,
// stopping by themselves at a count limit or a time limit, whichever comes first. It
// measures events per second accepted, request latency percentiles, freshness (an
// accepted event → the totals counting it) and the memory of the stack's processes.
//
// Freshness: every batch carries one probe impression of a campaign of its own
// (ProbeCampaign). A poller reads that campaign's totals every PollEvery; when they count
// n probes, the n earliest accepted probes are taken as visible at that moment.
//
// Run refuses an API URL whose host is not a loopback address: it is for the local stack
// only.
package loadgen
