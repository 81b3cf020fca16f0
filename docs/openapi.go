// Package docs holds the project's documentation. Its only Go is the OpenAPI 3.1
// document of the whole API (openapi.json, the single source), embedded so that the
// auth function serves it at GET /v1/openapi.json and tests validate requests and
// answers against it.
package docs

import _ "embed"

// OpenAPI is the OpenAPI 3.1 document of every route: ingest, auth, admin, campaigns.
//
//go:embed openapi.json
var OpenAPI []byte
