// Package ingest is the core of the ingest function: it authenticates a request by its API
// key, reads the body (base64, gzip, size limits), validates each event on its own, packs
// the valid ones into Kinesis records and answers with a per-event result.
//
// No event is acknowledged unless Kinesis took the record that carries it. Entries that
// Kinesis refused are retried alone, with backoff; those still refused are answered as
// retryable so that the sender can send them again (the event_id makes that safe).
package ingest
