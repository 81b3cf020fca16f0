// Package replay is the load client of the local stack: it posts events to the ingest
// API in batches from several concurrent senders, retries what may succeed later, and
// reports throughput, latency and what was accepted or rejected.
//
// Replay only ever targets the local stack: Run refuses an API URL whose host is not a
// loopback address.
package replay
