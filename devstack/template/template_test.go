package template_test

import (
	"testing"
	"time"

	"github.com/adpulse/adpulse/devstack/template"
)

// mustLoad loads the fixture template and its local values.
func mustLoad(t *testing.T) (*template.Template, *template.Values) {
	t.Helper()
	tpl, err := template.Load("../testdata/template.json")
	if err != nil {
		t.Fatal(err)
	}
	return tpl, template.NewValues(tpl, "http://127.0.0.1:4566")
}

func TestFindByPrefix(t *testing.T) {
	tpl, _ := mustLoad(t)
	tests := []struct {
		prefix, want string
		wantErr      bool
	}{
		{prefix: "Aggregates", want: "Aggregates0F1E2D3C"},
		{prefix: "Aggregate", want: "Aggregate1A2B3C4D"},
		{prefix: "Ingest", want: "Ingest5C6D7E8F"},
		{prefix: "IngestFailures", want: "IngestFailures11223344"},
		{prefix: "Nope", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.prefix, func(t *testing.T) {
			got, err := tpl.FindByPrefix(tc.prefix)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("FindByPrefix(%q) = %q, %v; want %q", tc.prefix, got, err, tc.want)
			}
		})
	}
}

func TestFunctions(t *testing.T) {
	_, vals := mustLoad(t)
	fns, err := vals.Functions()
	if err != nil {
		t.Fatal(err)
	}
	if len(fns) != 2 {
		t.Fatalf("got %d functions, want 2", len(fns))
	}
	agg := fns[0]
	checks := []struct{ name, got, want string }{
		{"folder", agg.Folder, "aggregate"},
		{"arn", agg.ARN, "arn:aws:lambda:us-east-1:000000000000:function:Aggregate1A2B3C4D"},
		{"role", agg.RoleARN, "arn:aws:iam::000000000000:role/AggregateServiceRoleBBBB2222"},
		{"table", agg.Env["AGGREGATES_TABLE"], "Aggregates0F1E2D3C"},
		{"queue url", agg.Env["FAILURE_QUEUE_URL"],
			"http://127.0.0.1:4566/000000000000/IngestFailures11223344"},
		{"queue arn", agg.Env["FAILURE_QUEUE_ARN"],
			"arn:aws:sqs:us-east-1:000000000000:IngestFailures11223344"},
		{"literal", agg.Env["DEDUP_WINDOW_HOURS"], "168"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if agg.Timeout != 30*time.Second || agg.MemoryMB != 512 {
		t.Errorf("timeout, memory = %v, %d; want 30s, 512", agg.Timeout, agg.MemoryMB)
	}
}

func TestMappings(t *testing.T) {
	_, vals := mustLoad(t)
	ms, err := vals.Mappings()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 {
		t.Fatalf("got %d mappings, want 1", len(ms))
	}
	m := ms[0]
	if m.SourceID != "Events5E8F3B1C" || m.FunctionID != "Aggregate1A2B3C4D" ||
		m.OnFailureID != "IngestFailures11223344" {
		t.Errorf("ids = %s, %s, %s", m.SourceID, m.FunctionID, m.OnFailureID)
	}
	if m.BatchSize != 100 || m.Window != time.Second || !m.Bisect || m.MaxRetries != 3 ||
		m.MaxRecordAge != time.Hour || !m.ReportItemErrors ||
		m.StartingPosition != "TRIM_HORIZON" {
		t.Errorf("settings = %+v", m)
	}
}

func TestAPIs(t *testing.T) {
	_, vals := mustLoad(t)
	apis, err := vals.APIs()
	if err != nil {
		t.Fatal(err)
	}
	if len(apis) != 1 {
		t.Fatalf("got %d apis, want 1", len(apis))
	}
	api := apis[0]
	if api.Stage != "prod" || len(api.BinaryMediaTypes) != 1 || api.BinaryMediaTypes[0] != "*/*" {
		t.Errorf("stage, binary = %q, %v", api.Stage, api.BinaryMediaTypes)
	}
	want := []template.Route{
		{ResourceID: "Apievents1A2B", Path: "/events", Method: "POST",
			FunctionID: "Ingest5C6D7E8F"},
		{ResourceID: "ApiitemsABCD", Path: "/events/{id}", Method: "GET",
			FunctionID: "Ingest5C6D7E8F"},
	}
	if len(api.Routes) != len(want) {
		t.Fatalf("routes = %+v", api.Routes)
	}
	for i := range want {
		if api.Routes[i] != want[i] {
			t.Errorf("route %d = %+v, want %+v", i, api.Routes[i], want[i])
		}
	}
}

func TestResolveSub(t *testing.T) {
	_, vals := mustLoad(t)
	got, err := vals.ResolveString([]byte(
		`{"Fn::Sub": "${AWS::Region}/${Events5E8F3B1C}/${Events5E8F3B1C.Arn}/${X}"}`))
	if err == nil {
		t.Fatalf("unknown ${X} resolved to %q, want an error", got)
	}
	got, err = vals.ResolveString([]byte(
		`{"Fn::Sub": ["${AWS::Region}/${Events5E8F3B1C.Arn}/${X}", {"X": "x"}]}`))
	want := "us-east-1/arn:aws:kinesis:us-east-1:000000000000:stream/Events5E8F3B1C/x"
	if err != nil || got != want {
		t.Errorf("Sub = %q, %v; want %q", got, err, want)
	}
}
