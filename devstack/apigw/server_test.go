package apigw_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/devstack/apigw"
	"github.com/adpulse/adpulse/devstack/lambdarun"
	"github.com/adpulse/adpulse/devstack/template"
)

// fakeInvoker echoes the request event back as the response body, or misbehaves on cue.
type fakeInvoker struct{ last events.APIGatewayProxyRequest }

func (f *fakeInvoker) Invoke(ctx context.Context, _ string, payload []byte) (
	lambdarun.Result, error) {
	if err := json.Unmarshal(payload, &f.last); err != nil {
		return lambdarun.Result{}, err
	}
	switch f.last.PathParameters["id"] {
	case "crash":
		return lambdarun.Result{Payload: []byte(`{"errorMessage":"x"}`),
			FunctionError: "Unhandled"}, nil
	case "garbage":
		return lambdarun.Result{Payload: []byte(`"not a response"`)}, nil
	case "slow":
		<-ctx.Done()
		return lambdarun.Result{}, ctx.Err()
	case "binary":
		return lambdarun.Result{Payload: []byte(`{"statusCode":200,"isBase64Encoded":true,` +
			`"headers":{"Content-Type":"application/octet-stream"},"body":"AAEC"}`)}, nil
	}
	body, _ := json.Marshal(f.last)
	resp, _ := json.Marshal(events.APIGatewayProxyResponse{StatusCode: 202, Body: string(body),
		Headers:           map[string]string{"X-One": "h", "X-Both": "single"},
		MultiValueHeaders: map[string][]string{"X-Both": {"m1", "m2"}}})
	return lambdarun.Result{Payload: resp}, nil
}

// startServer serves the fixture template's API with inv.
func startServer(t *testing.T, inv apigw.Invoker) *apigw.Server {
	t.Helper()
	tpl, err := template.Load("../testdata/template.json")
	if err != nil {
		t.Fatal(err)
	}
	apis, err := template.NewValues(tpl, "http://x").APIs()
	if err != nil {
		t.Fatal(err)
	}
	s := apigw.New(apis[0], map[string]string{"Ingest5C6D7E8F": "Ingest"}, inv,
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.SetTimeout(200 * time.Millisecond)
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestServerStatuses(t *testing.T) {
	s := startServer(t, &fakeInvoker{})
	tests := []struct {
		name, method, path, body string
		wantStatus               int
		wantBody                 string // substring
	}{
		{"route", "POST", "/events", "{}", 202, `"resource":"/events"`},
		{"path parameter", "GET", "/events/e1", "", 202, `"pathParameters":{"id":"e1"}`},
		{"unknown resource", "POST", "/nope", "", 403,
			`{"message":"Missing Authentication Token"}`},
		{"wrong method", "GET", "/events", "", 403, "Missing Authentication Token"},
		{"function error", "GET", "/events/crash", "", 502, `{"message":"Internal server error"}`},
		{"malformed response", "GET", "/events/garbage", "", 502, "Internal server error"},
		{"timeout", "GET", "/events/slow", "", 504, `{"message":"Endpoint request timed out"}`},
		{"too large", "POST", "/events", strings.Repeat("x", apigw.MaxPayload+1), 413,
			"Request Too Long"},
		{"binary response", "GET", "/events/binary", "", 200, "\x00\x01\x02"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, s.URL()+tc.path, strings.NewReader(tc.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus || !strings.Contains(string(body), tc.wantBody) {
				t.Errorf("%s %s = %d %.300s; want %d containing %s", tc.method, tc.path,
					resp.StatusCode, body, tc.wantStatus, tc.wantBody)
			}
		})
	}
}

func TestServerEvent(t *testing.T) {
	inv := &fakeInvoker{}
	s := startServer(t, inv)
	req, _ := http.NewRequest("POST", s.URL()+"/events?a=1&a=2&b=x",
		strings.NewReader(`{"hello":1}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Add("X-Multi", "v1")
	req.Header.Add("X-Multi", "v2")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	ev := inv.last
	body, _ := base64.StdEncoding.DecodeString(ev.Body)
	checks := []struct{ name, got, want string }{
		{"path", ev.Path, "/events"},
		{"resource", ev.Resource, "/events"},
		{"method", ev.HTTPMethod, "POST"},
		{"body", string(body), `{"hello":1}`},
		{"query last value", ev.QueryStringParameters["a"], "2"},
		{"query multi", strings.Join(ev.MultiValueQueryStringParameters["a"], ","), "1,2"},
		{"header last value", ev.Headers["X-Multi"], "v2"},
		{"header multi", strings.Join(ev.MultiValueHeaders["X-Multi"], ","), "v1,v2"},
		{"stage", ev.RequestContext.Stage, "prod"},
		{"context path", ev.RequestContext.Path, "/prod/events"},
		{"source ip", ev.RequestContext.Identity.SourceIP, "127.0.0.1"},
		{"account", ev.RequestContext.AccountID, "000000000000"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if !ev.IsBase64Encoded || ev.RequestContext.RequestID == "" ||
		ev.RequestContext.RequestTimeEpoch == 0 {
		t.Errorf("isBase64Encoded, requestId, requestTimeEpoch = %v, %q, %d",
			ev.IsBase64Encoded, ev.RequestContext.RequestID, ev.RequestContext.RequestTimeEpoch)
	}
	if got := resp.Header.Values("X-Both"); strings.Join(got, ",") != "m1,m2" {
		t.Errorf("X-Both = %v, want multiValueHeaders to win", got)
	}
	if resp.Header.Get("X-One") != "h" || resp.Header.Get("x-amzn-RequestId") == "" {
		t.Errorf("response headers = %v", resp.Header)
	}
}

func TestGatewayAnswersTakeTheDefaultResponses(t *testing.T) {
	tpl, err := template.Load("../testdata/template.json")
	if err != nil {
		t.Fatal(err)
	}
	apis, err := template.NewValues(tpl, "http://x").APIs()
	if err != nil {
		t.Fatal(err)
	}
	api := apis[0]
	shaped := func(code string) template.GatewayResponse {
		return template.GatewayResponse{Headers: map[string]string{"X-Frame-Options": "DENY"},
			Template: `{"error":{"code":"` + code + `"},"request_id":"$context.requestId"}`}
	}
	api.GatewayResponses = map[string]template.GatewayResponse{
		"DEFAULT_4XX": shaped("bad_request"), "DEFAULT_5XX": shaped("internal")}
	s := apigw.New(api, map[string]string{"Ingest5C6D7E8F": "Ingest"}, &fakeInvoker{},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.SetTimeout(200 * time.Millisecond)
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })

	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"unknown resource", "GET", "/nope", "", 403, "bad_request"},
		{"too large", "POST", "/events", strings.Repeat("x", apigw.MaxPayload+1), 413,
			"bad_request"},
		{"function error", "GET", "/events/crash", "", 502, "internal"},
		{"timeout", "GET", "/events/slow", "", 504, "internal"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, s.URL()+tc.path, strings.NewReader(tc.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			var doc struct {
				Error     struct{ Code string }
				RequestID string `json:"request_id"`
			}
			_ = json.Unmarshal(body, &doc)
			// THEN the status stays the error's, in the API's shape, headers and request id.
			if resp.StatusCode != tc.status || doc.Error.Code != tc.code ||
				doc.RequestID != resp.Header.Get("x-amzn-RequestId") || doc.RequestID == "" ||
				resp.Header.Get("X-Frame-Options") != "DENY" {
				t.Errorf("got %d %s %v; want %d with code %s", resp.StatusCode, body,
					resp.Header, tc.status, tc.code)
			}
		})
	}
}
