// Package apikey issues and checks the ingest API keys of tenants.
//
// A key is shown once when it is created; only its SHA-256 is stored, in the ApiKeys
// table keyed by that hash. Keys carry 256 random bits, so a fast hash is enough: unlike
// passwords they cannot be guessed from a dictionary, and a lookup must cost microseconds
// because it runs on every ingest request.
package apikey
