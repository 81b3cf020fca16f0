package template_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/adpulse/adpulse/devstack/template"
)

// TestSynthesizedTemplate resolves everything the local stack needs from the template
// that make synth writes (make test synthesizes it first).
func TestSynthesizedTemplate(t *testing.T) {
	path := "../../cdk.out/AdpulseStack.template.json"
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no %s: run make synth to check the real template", path)
	}
	tpl, err := template.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	vals := template.NewValues(tpl, "http://127.0.0.1:4566")
	for _, id := range tpl.LogicalIDs(template.TypeSecret) { // what provisioning records
		vals.SetAttr(id, template.SecretString, "value of "+id)
	}
	fns, err := vals.Functions()
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range fns {
		if _, err := os.Stat(filepath.Join("../../functions", fn.Folder)); err != nil {
			t.Errorf("function %s: folder functions/%s: %v", fn.LogicalID, fn.Folder, err)
		}
		if v := fn.Env["CURSOR_SECRET"]; fn.Folder == "campaigns" &&
			!strings.HasPrefix(v, "value of CursorSecret") {
			t.Errorf("campaigns CURSOR_SECRET = %q, want the secret's value", v)
		}
	}
	// The stream → aggregate mapping with its on-failure queue, and the notifications
	// queue → notifier mapping.
	ms, err := vals.Mappings()
	if err != nil || len(ms) != 2 {
		t.Fatalf("mappings = %+v, %v; want two", ms, err)
	}
	for _, m := range ms {
		switch tpl.Resources[m.SourceID].Type {
		case template.TypeStream:
			if m.OnFailureID == "" {
				t.Errorf("stream mapping %s has no on-failure queue", m.LogicalID)
			}
		case template.TypeQueue:
			if m.BatchSize != 10 || !m.ReportItemErrors {
				t.Errorf("queue mapping %+v", m)
			}
		default:
			t.Errorf("mapping %s: source %s", m.LogicalID, m.SourceARN)
		}
	}
	apis, err := vals.APIs()
	if err != nil || len(apis) != 1 || len(apis[0].Routes) == 0 {
		t.Fatalf("apis = %+v, %v; want one with routes", apis, err)
	}
	checkGuards(t, apis[0])
	for _, prefix := range []string{"Events", "ApiKeys", "Aggregates", "EventClaims",
		"IngestFailures", "Ingest", "Aggregate", "Accounts", "Campaigns", "SigningKey",
		"Auth", "Authorizer", "Admin", "Rules", "Capping", "Notifications",
		"NotificationsDLQ", "Notifier", "Reports", "Decide", "Caps", "Health"} {
		if _, err := tpl.FindByPrefix(prefix); err != nil {
			t.Errorf("FindByPrefix(%q): %v", prefix, err)
		}
	}
}

// checkGuards checks that the management routes resolve to the REQUEST authorizer and
// the public ones to none, and that the gateway's 401 and 403 are customised.
func checkGuards(t *testing.T, api template.API) {
	t.Helper()
	if len(api.Authorizers) != 1 {
		t.Fatalf("authorizers = %+v, want one", api.Authorizers)
	}
	for _, r := range api.Routes {
		public := r.Method == "OPTIONS" || strings.HasPrefix(r.Path, "/v1/events") ||
			strings.HasPrefix(r.Path, "/v1/auth/") || r.Path == "/.well-known/jwks.json" ||
			r.Path == "/v1/openapi.json" || r.Path == "/v1/decisions/frequency" ||
			r.Path == "/v1/health"
		a, guarded := api.Authorizers[r.AuthorizerID]
		switch {
		case public && r.AuthorizerID != "":
			t.Errorf("%s %s is public but has authorizer %s", r.Method, r.Path, r.AuthorizerID)
		case !public && !guarded:
			t.Errorf("%s %s has no authorizer", r.Method, r.Path)
		case guarded && (a.Type != "REQUEST" || a.TTL.Seconds() != 60 ||
			strings.Join(a.Headers, ",") != "Authorization" || a.FunctionID == ""):
			t.Errorf("authorizer %+v", a)
		case r.APIKeyRequired != guarded:
			t.Errorf("%s %s: APIKeyRequired %v, guarded %v", r.Method, r.Path,
				r.APIKeyRequired, guarded)
		}
	}
	// The guarded routes are metered per tenant by one usage plan.
	if api.KeySource != "AUTHORIZER" || len(api.UsagePlans) != 1 {
		t.Fatalf("key source %q, usage plans %+v; want AUTHORIZER and one plan",
			api.KeySource, api.UsagePlans)
	}
	if p := api.UsagePlans[0]; p.RateLimit <= 0 || p.BurstLimit <= 0 || p.QuotaLimit <= 0 ||
		p.QuotaPeriod != "DAY" {
		t.Errorf("usage plan %+v: want a throttle and a daily quota", p)
	}
	for _, typ := range []string{"UNAUTHORIZED", "ACCESS_DENIED", "THROTTLED",
		"QUOTA_EXCEEDED", "INVALID_API_KEY"} {
		if gr := api.GatewayResponses[typ]; gr.Template == "" || gr.Status == 0 {
			t.Errorf("gateway response %s = %+v", typ, gr)
		}
	}
}
