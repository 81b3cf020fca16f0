package httpapi_test

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/adpulse/adpulse/shared/httpapi"
)

func TestErrorShapeAndHeaders(t *testing.T) {
	req := events.APIGatewayProxyRequest{
		Headers: map[string]string{"origin": "https://app.example"}}
	req.RequestContext.RequestID = "req-9"
	r := httpapi.NewResponder(&req, httpapi.ParseOrigins("https://app.example, https://x.example"))

	resp := r.Invalid([]httpapi.FieldError{{Field: "name", Reason: "required"}})
	var body struct {
		Error     httpapi.Problem `json:"error"`
		RequestID string          `json:"request_id"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 400 || body.Error.Code != "validation_failed" ||
		body.Error.Fields[0].Field != "name" || body.RequestID != "req-9" {
		t.Errorf("got %d %s", resp.StatusCode, resp.Body)
	}
	for _, h := range []string{"X-Content-Type-Options", "Strict-Transport-Security",
		"X-Request-Id", "Access-Control-Allow-Origin"} {
		if resp.Headers[h] == "" {
			t.Errorf("header %s missing", h)
		}
	}
}

func TestCORSOnlyForAllowedOrigins(t *testing.T) {
	req := events.APIGatewayProxyRequest{
		Headers: map[string]string{"Origin": "https://evil.example"}}
	r := httpapi.NewResponder(&req, []string{"https://app.example"})
	if got := r.JSON(200, map[string]int{},
		nil).Headers["Access-Control-Allow-Origin"]; got != "" {
		t.Errorf("evil origin allowed: %q", got)
	}
}

func TestBody(t *testing.T) {
	tests := []struct {
		name    string
		req     events.APIGatewayProxyRequest
		want    string
		wantErr bool
	}{
		{"text", events.APIGatewayProxyRequest{Body: `{"a":1}`}, `{"a":1}`, false},
		{"base64, as the binary API sends it",
			events.APIGatewayProxyRequest{Body: "eyJhIjoxfQ==", IsBase64Encoded: true},
			`{"a":1}`, false},
		{"bad base64", events.APIGatewayProxyRequest{Body: "%%%", IsBase64Encoded: true},
			"", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := httpapi.Body(&tc.req)
			if string(got) != tc.want || (err != nil) != tc.wantErr {
				t.Errorf("Body = %q, %v; want %q, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestLookupHeader(t *testing.T) {
	cases := []struct {
		name   string
		req    events.APIGatewayProxyRequest
		want   string
		wantOK bool
	}{
		{"absent", events.APIGatewayProxyRequest{}, "", false},
		{"empty", events.APIGatewayProxyRequest{
			Headers: map[string]string{"idempotency-key": ""}}, "", true},
		{"value, other case", events.APIGatewayProxyRequest{
			Headers: map[string]string{"IDEMPOTENCY-KEY": "k"}}, "k", true},
		{"multi-value only", events.APIGatewayProxyRequest{
			MultiValueHeaders: map[string][]string{"Idempotency-Key": {"a", "b"}}}, "a", true},
	}
	for _, tc := range cases {
		got, ok := httpapi.LookupHeader(&tc.req, "Idempotency-Key")
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("%s: got %q, %v; want %q, %v", tc.name, got, ok, tc.want, tc.wantOK)
		}
	}
}
