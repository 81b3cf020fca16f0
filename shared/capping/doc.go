// Package capping is frequency capping: at most N impressions of a campaign (or of one
// of its ads) per person per minute, hour, day, week, month or lifetime.
//
// It holds the cap model and its validation, identity resolution across devices (a
// deterministic identifier, login id or hashed e-mail, links the device and user ids seen
// with it to one person), the counters behind a Store interface (DynamoDB and in memory),
// the Counter that counts impressions from the stream exactly once, and the Decider that
// answers "may this person see these ads now?" with one identity read and one counter
// read. The design, its costs and its error bounds are in docs/capping.md.
package capping
