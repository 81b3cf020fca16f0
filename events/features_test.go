package events_test

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/shared/notify"
	"github.com/adpulse/adpulse/shared/principal"
)

// featureCases are the API samples of the rules, reports, caps and decide functions.
var featureCases = []struct {
	file             string
	method, resource string
	role             string // the authorizer's role; "" for a public route
	bodyKey          string // a member of the JSON body; "" when there is no body
}{
	{"rules/create.json", "POST", "/v1/rules", "campaign_manager", "conditions"},
	{"rules/deliveries.json", "GET", "/v1/rules/{id}/deliveries", "analyst", ""},
	{"reports/campaign-day.json", "GET", "/v1/campaigns/{id}/reports", "analyst", ""},
	{"reports/top-campaigns.json", "GET", "/v1/reports/campaigns", "analyst", ""},
	{"caps/put.json", "PUT", "/v1/campaigns/{id}/caps", "campaign_manager", "caps"},
	{"decide/frequency.json", "POST", "/v1/decisions/frequency", "", "candidates"},
}

func init() {
	for _, tc := range featureCases {
		contentChecks[tc.file] = "TestFeatureSamples"
	}
	contentChecks["notifier/batch.json"] = "TestNotifierSamples"
}

func TestFeatureSamples(t *testing.T) {
	for _, tc := range featureCases {
		t.Run(tc.file, func(t *testing.T) {
			var req events.APIGatewayProxyRequest
			if _, err := decodeStrict(filepath.FromSlash(tc.file), &req); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if req.HTTPMethod != tc.method || req.Resource != tc.resource ||
				req.RequestContext.ResourcePath != tc.resource {
				t.Errorf("route %s %s (%s), want %s %s", req.HTTPMethod, req.Resource,
					req.RequestContext.ResourcePath, tc.method, tc.resource)
			}
			p, err := principal.FromRequest(&req)
			switch {
			case tc.role == "" && req.RequestContext.Authorizer != nil:
				t.Errorf("public route sample has an authorizer context")
			case tc.role == "" && req.Headers["x-api-key"] == "":
				t.Errorf("public route sample has no x-api-key")
			case tc.role != "" && (err != nil || string(p.Role) != tc.role):
				t.Errorf("principal = %+v, %v; want role %s", p, err, tc.role)
			}
			if tc.bodyKey == "" {
				if req.Body != "" {
					t.Errorf("unexpected body %q", req.Body)
				}
				return
			}
			var body map[string]any
			if !req.IsBase64Encoded || json.Unmarshal(b64(t, req.Body), &body) != nil {
				t.Fatalf("body is not a base64-encoded JSON object: %q", req.Body)
			}
			if _, ok := body[tc.bodyKey]; !ok {
				t.Errorf("body lacks %q: %v", tc.bodyKey, body)
			}
		})
	}
}

func TestNotifierSamples(t *testing.T) {
	// GIVEN the notifier's SQS sample WHEN decoded THEN each body is a valid notification.
	var ev events.SQSEvent
	if _, err := decodeStrict(filepath.FromSlash("notifier/batch.json"), &ev); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(ev.Records) == 0 {
		t.Fatal("no records")
	}
	for _, r := range ev.Records {
		if r.EventSource != "aws:sqs" || r.Attributes["ApproximateReceiveCount"] == "" {
			t.Errorf("record %s: source %q, attributes %v", r.MessageId, r.EventSource,
				r.Attributes)
		}
		n, err := notify.Decode([]byte(r.Body))
		if err != nil {
			t.Fatalf("record %s: %v", r.MessageId, err)
		}
		if err := n.Validate(); err != nil {
			t.Errorf("record %s: %v", r.MessageId, err)
		}
	}
}
