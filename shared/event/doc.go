// Package event defines the events adpulse ingests (impressions, clicks and conversions),
// decodes and validates them one by one so that a bad event is rejected alone, and packs
// valid events into the records the ingest function writes to Kinesis.
//
// The schema and every limit are documented in docs/events.md; the limits are the
// constants below, so the document and the code cannot drift apart silently.
package event
