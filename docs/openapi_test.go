package docs_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/adpulse/adpulse/docs"
)

// TestOpenAPIDocumentIsValid checks the document against the OpenAPI 3.1 schema and
// builds its model without errors (every $ref resolves).
func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc, err := libopenapi.NewDocument(docs.OpenAPI)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if v := doc.GetVersion(); !strings.HasPrefix(v, "3.1") {
		t.Errorf("OpenAPI version %q, want 3.1.x", v)
	}
	if _, err := doc.BuildV3Model(); err != nil {
		t.Fatalf("build model: %v", err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("%s: %s", e.Message, e.Reason)
			for _, se := range e.SchemaValidationErrors {
				t.Errorf("  at %s: %s", se.FieldPath, se.Reason)
			}
		}
	}
}

// TestOpenAPICoversEveryRoute checks that the document has exactly the routes of the
// REST API (infra/routes.go and the ingest routes).
func TestOpenAPICoversEveryRoute(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(docs.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for path, item := range doc.Paths {
		for method := range item {
			if method != "parameters" {
				got = append(got, strings.ToUpper(method)+" "+path)
			}
		}
	}
	slices.Sort(got)
	want := []string{
		"DELETE /v1/api-keys/{id}", "DELETE /v1/campaigns/{id}",
		"GET /.well-known/jwks.json", "GET /v1/api-keys", "GET /v1/campaigns",
		"GET /v1/campaigns/{id}", "GET /v1/campaigns/{id}/history",
		"GET /v1/campaigns/{id}/targeting", "GET /v1/openapi.json", "GET /v1/users",
		"GET /v1/users/{id}",
		"OPTIONS /v1/campaigns", "OPTIONS /v1/campaigns/{id}",
		"OPTIONS /v1/campaigns/{id}/history", "OPTIONS /v1/campaigns/{id}/status",
		"OPTIONS /v1/campaigns/{id}/targeting",
		"OPTIONS /v1/auth/login", "OPTIONS /v1/auth/refresh", "OPTIONS /v1/auth/logout",
		"OPTIONS /.well-known/jwks.json", "OPTIONS /v1/openapi.json",
		"OPTIONS /v1/users", "OPTIONS /v1/users/{id}",
		"OPTIONS /v1/api-keys", "OPTIONS /v1/api-keys/{id}",
		"PATCH /v1/campaigns/{id}", "PATCH /v1/campaigns/{id}/status",
		"PATCH /v1/users/{id}",
		"POST /v1/api-keys", "POST /v1/auth/login", "POST /v1/auth/logout",
		"POST /v1/auth/refresh", "POST /v1/campaigns", "POST /v1/events",
		"POST /v1/events/batch", "POST /v1/users",
		"PUT /v1/campaigns/{id}", "PUT /v1/campaigns/{id}/targeting",
		// Alerts, reports, capping (infra/alerts.go, reports.go, capping.go).
		"GET /v1/rules", "POST /v1/rules", "OPTIONS /v1/rules",
		"GET /v1/rules/{id}", "PUT /v1/rules/{id}", "PATCH /v1/rules/{id}",
		"DELETE /v1/rules/{id}", "OPTIONS /v1/rules/{id}",
		"GET /v1/rules/{id}/deliveries", "OPTIONS /v1/rules/{id}/deliveries",
		"POST /v1/rules/{id}/channels/{n}/rotate-secret",
		"OPTIONS /v1/rules/{id}/channels/{n}/rotate-secret",
		"GET /v1/campaigns/{id}/reports", "OPTIONS /v1/campaigns/{id}/reports",
		"GET /v1/reports/campaigns", "OPTIONS /v1/reports/campaigns",
		"GET /v1/campaigns/{id}/caps", "PUT /v1/campaigns/{id}/caps",
		"OPTIONS /v1/campaigns/{id}/caps",
		"GET /v1/campaigns/{id}/ads/{ad}/caps", "PUT /v1/campaigns/{id}/ads/{ad}/caps",
		"OPTIONS /v1/campaigns/{id}/ads/{ad}/caps",
		"POST /v1/decisions/frequency",
		"GET /v1/health", // functions/health, public
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("routes:\n got %q\nwant %q", got, want)
	}
}

// TestOpenAPIValidationCatchesErrors guards the test above: a broken document fails.
func TestOpenAPIValidationCatchesErrors(t *testing.T) {
	broken := strings.Replace(string(docs.OpenAPI), `"responses": {`, `"responses": 7, "x": {`, 1)
	doc, err := libopenapi.NewDocument([]byte(broken))
	if err != nil {
		return // refused while parsing: fine
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		return
	}
	if ok, _ := v.ValidateDocument(); ok {
		t.Error("a document whose operation has responses: 7 validated")
	}
}
