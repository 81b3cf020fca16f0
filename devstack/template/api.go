package template

import (
	"cmp"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// API is an AWS::ApiGateway::RestApi with its stage and Lambda proxy routes.
type API struct {
	LogicalID        string
	ID               string // the local rest API id
	Stage            string // stage name, "prod" when the template declares none
	BinaryMediaTypes []string
	Routes           []Route

	// Authorizers are the API's Lambda authorizers by logical id.
	Authorizers map[string]Authorizer
	// GatewayResponses are the API's customised error answers by response type
	// (UNAUTHORIZED, ACCESS_DENIED, ...).
	GatewayResponses map[string]GatewayResponse

	// KeySource is where API Gateway reads a request's usage plan key: HEADER (the
	// x-api-key header, the default) or AUTHORIZER (the authorizer's usageIdentifierKey).
	KeySource string
	// UsagePlans are the usage plans that name the API.
	UsagePlans []UsagePlan
}

// UsagePlan is an AWS::ApiGateway::UsagePlan: a throttle and a quota that API Gateway
// applies to each API key of the plan separately. Zero fields are unlimited.
type UsagePlan struct {
	LogicalID   string
	RateLimit   float64 // requests per second, refilled continuously
	BurstLimit  int     // requests at once (the bucket's size)
	QuotaLimit  int     // requests per QuotaPeriod
	QuotaPeriod string  // DAY, WEEK or MONTH
}

// Route is one AWS_PROXY method of a REST API.
type Route struct {
	ResourceID string // logical id of the API Gateway resource ("/" for the root)
	Path       string // resource path, e.g. /events/{id}
	Method     string // HTTP method or ANY
	FunctionID string // logical id of the integrated function

	// AuthorizerID is the logical id of the Lambda authorizer guarding the method
	// (AuthorizationType CUSTOM); empty for an unguarded method.
	AuthorizerID string
	// APIKeyRequired: the request must carry a key of one of the API's usage plans.
	APIKeyRequired bool
}

// Authorizer is an AWS::ApiGateway::Authorizer of type TOKEN or REQUEST.
type Authorizer struct {
	LogicalID  string
	Type       string   // TOKEN or REQUEST
	FunctionID string   // logical id of the authorizer function
	Headers    []string // header names of the identity source
	TTL        time.Duration
}

// GatewayResponse is an AWS::ApiGateway::GatewayResponse: what API Gateway answers for
// one of its own errors.
type GatewayResponse struct {
	Status   int               // 0: the response type's default
	Headers  map[string]string // static values, unquoted
	Template string            // the application/json template
}

// APIs returns every REST API of the template with its routes. Methods whose
// integration is not a Lambda proxy (MOCK, HTTP) are left out.
func (v *Values) APIs() ([]API, error) {
	var out []API
	for _, id := range v.tpl.LogicalIDs(TypeRestAPI) {
		var p struct {
			BinaryMediaTypes []string
			ApiKeySourceType string
		}
		if err := v.tpl.Properties(id, &p); err != nil {
			return nil, err
		}
		api := API{LogicalID: id, ID: v.Name(id), Stage: v.stageOf(id),
			KeySource: cmp.Or(p.ApiKeySourceType, "HEADER")}
		for _, t := range p.BinaryMediaTypes {
			api.BinaryMediaTypes = append(api.BinaryMediaTypes, strings.ReplaceAll(t, "~1", "/"))
		}
		routes, err := v.routesOf(id)
		if err != nil {
			return nil, fmt.Errorf("rest api %s: %w", id, err)
		}
		api.Routes = routes
		if api.Authorizers, err = v.authorizersOf(id); err != nil {
			return nil, fmt.Errorf("rest api %s: %w", id, err)
		}
		if api.GatewayResponses, err = v.gatewayResponsesOf(id); err != nil {
			return nil, fmt.Errorf("rest api %s: %w", id, err)
		}
		if api.UsagePlans, err = v.usagePlansOf(id); err != nil {
			return nil, fmt.Errorf("rest api %s: %w", id, err)
		}
		out = append(out, api)
	}
	return out, nil
}

// stageOf returns the stage name of rest API id.
func (v *Values) stageOf(apiID string) string {
	for _, typ := range []string{TypeStage, "AWS::ApiGateway::Deployment"} {
		for _, id := range v.tpl.LogicalIDs(typ) {
			var p struct {
				RestAPIID json.RawMessage `json:"RestApiId"`
				StageName string
			}
			if v.tpl.Properties(id, &p) != nil || p.StageName == "" {
				continue
			}
			if ref, err := v.ResolveString(p.RestAPIID); err == nil && ref == v.Name(apiID) {
				return p.StageName
			}
		}
	}
	return "prod"
}

// methodProps are the raw properties of an AWS::ApiGateway::Method.
type methodProps struct {
	HTTPMethod        string          `json:"HttpMethod"`
	ResourceID        json.RawMessage `json:"ResourceId"`
	RestAPIID         json.RawMessage `json:"RestApiId"`
	AuthorizationType string
	AuthorizerID      json.RawMessage `json:"AuthorizerId"`
	APIKeyRequired    bool            `json:"ApiKeyRequired"`
	Integration       struct {
		Type string
		URI  json.RawMessage `json:"Uri"`
	}
}

// routesOf returns the Lambda proxy routes of rest API apiID, sorted by path and method.
func (v *Values) routesOf(apiID string) ([]Route, error) {
	var routes []Route
	for _, id := range v.tpl.LogicalIDs(TypeMethod) {
		var p methodProps
		if err := v.tpl.Properties(id, &p); err != nil {
			return nil, err
		}
		if api, err := v.ResolveString(p.RestAPIID); err != nil || api != v.Name(apiID) {
			continue
		}
		if p.Integration.Type != "AWS_PROXY" {
			continue
		}
		r, err := v.route(p)
		if err != nil {
			return nil, fmt.Errorf("method %s: %w", id, err)
		}
		routes = append(routes, r)
	}
	sort.Slice(routes, func(i, j int) bool {
		if routes[i].Path != routes[j].Path {
			return routes[i].Path < routes[j].Path
		}
		return routes[i].Method < routes[j].Method
	})
	return routes, nil
}

// route resolves one proxy method to its path and function.
func (v *Values) route(p methodProps) (Route, error) {
	res, err := v.ResolveString(p.ResourceID)
	if err != nil {
		return Route{}, fmt.Errorf("ResourceId: %w", err)
	}
	path, err := v.resourcePath(res, 0)
	if err != nil {
		return Route{}, err
	}
	uri, err := v.ResolveString(p.Integration.URI)
	if err != nil {
		return Route{}, fmt.Errorf("integration uri: %w", err)
	}
	fn := v.functionOfURI(uri)
	if fn == "" {
		return Route{}, fmt.Errorf("integration uri %q names no function of the template", uri)
	}
	r := Route{ResourceID: res, Path: path, Method: strings.ToUpper(p.HTTPMethod),
		FunctionID: fn, APIKeyRequired: p.APIKeyRequired}
	if p.AuthorizationType == "CUSTOM" {
		if r.AuthorizerID, err = v.ResolveString(p.AuthorizerID); err != nil {
			return Route{}, fmt.Errorf("AuthorizerId: %w", err)
		}
	}
	return r, nil
}

// resourcePath builds the path of API Gateway resource id ("/" is the root) by walking
// its ParentId chain.
func (v *Values) resourcePath(id string, depth int) (string, error) {
	if id == "/" {
		return "/", nil
	}
	if depth > 64 {
		return "", fmt.Errorf("resource %s: ParentId chain too deep", id)
	}
	var p struct {
		ParentID json.RawMessage `json:"ParentId"`
		PathPart string
	}
	if err := v.tpl.Properties(id, &p); err != nil {
		return "", err
	}
	parent, err := v.ResolveString(p.ParentID)
	if err != nil {
		return "", fmt.Errorf("resource %s ParentId: %w", id, err)
	}
	base, err := v.resourcePath(parent, depth+1)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(base, "/") + "/" + p.PathPart, nil
}

// authorizersOf returns the Lambda authorizers of rest API apiID by logical id.
func (v *Values) authorizersOf(apiID string) (map[string]Authorizer, error) {
	out := make(map[string]Authorizer)
	for _, id := range v.tpl.LogicalIDs(TypeAuthorizer) {
		var p struct {
			RestAPIID                    json.RawMessage `json:"RestApiId"`
			Type                         string
			AuthorizerURI                json.RawMessage `json:"AuthorizerUri"`
			IdentitySource               string
			AuthorizerResultTTLInSeconds *int `json:"AuthorizerResultTtlInSeconds"`
		}
		if err := v.tpl.Properties(id, &p); err != nil {
			return nil, err
		}
		if api, err := v.ResolveString(p.RestAPIID); err != nil || api != v.Name(apiID) {
			continue
		}
		uri, err := v.ResolveString(p.AuthorizerURI)
		if err != nil {
			return nil, fmt.Errorf("authorizer %s uri: %w", id, err)
		}
		a := Authorizer{LogicalID: id, Type: p.Type, FunctionID: v.functionOfURI(uri),
			TTL: 300 * time.Second} // API Gateway's default
		if a.FunctionID == "" {
			return nil, fmt.Errorf("authorizer %s: uri %q names no function", id, uri)
		}
		if p.AuthorizerResultTTLInSeconds != nil {
			a.TTL = time.Duration(*p.AuthorizerResultTTLInSeconds) * time.Second
		}
		for _, src := range strings.Split(p.IdentitySource, ",") {
			if h, ok := strings.CutPrefix(strings.TrimSpace(src),
				"method.request.header."); ok {
				a.Headers = append(a.Headers, h)
			}
		}
		out[id] = a
	}
	return out, nil
}

// gatewayResponsesOf returns the gateway responses of rest API apiID by response type.
func (v *Values) gatewayResponsesOf(apiID string) (map[string]GatewayResponse, error) {
	out := make(map[string]GatewayResponse)
	for _, id := range v.tpl.LogicalIDs(TypeGatewayResp) {
		var p struct {
			RestAPIID          json.RawMessage `json:"RestApiId"`
			ResponseType       string
			StatusCode         string
			ResponseParameters map[string]string
			ResponseTemplates  map[string]string
		}
		if err := v.tpl.Properties(id, &p); err != nil {
			return nil, err
		}
		if api, err := v.ResolveString(p.RestAPIID); err != nil || api != v.Name(apiID) {
			continue
		}
		r := GatewayResponse{Headers: map[string]string{},
			Template: p.ResponseTemplates["application/json"]}
		if p.StatusCode != "" {
			status, err := strconv.Atoi(p.StatusCode)
			if err != nil {
				return nil, fmt.Errorf("gateway response %s: status %q", id, p.StatusCode)
			}
			r.Status = status
		}
		for k, val := range p.ResponseParameters {
			name, ok := strings.CutPrefix(k, "gatewayresponse.header.")
			if ok && len(val) >= 2 && strings.HasPrefix(val, "'") && strings.HasSuffix(val, "'") {
				r.Headers[name] = val[1 : len(val)-1]
			}
		}
		out[p.ResponseType] = r
	}
	return out, nil
}

// usagePlansOf returns the usage plans with a stage of rest API apiID.
func (v *Values) usagePlansOf(apiID string) ([]UsagePlan, error) {
	var out []UsagePlan
	for _, id := range v.tpl.LogicalIDs(TypeUsagePlan) {
		var p struct {
			APIStages []struct {
				APIID json.RawMessage `json:"ApiId"`
			} `json:"ApiStages"`
			Throttle struct {
				RateLimit  float64
				BurstLimit int
			}
			Quota struct {
				Limit  int
				Period string
			}
		}
		if err := v.tpl.Properties(id, &p); err != nil {
			return nil, fmt.Errorf("usage plan %s: %w", id, err)
		}
		for _, st := range p.APIStages {
			if api, err := v.ResolveString(st.APIID); err == nil && api == v.Name(apiID) {
				out = append(out, UsagePlan{LogicalID: id, RateLimit: p.Throttle.RateLimit,
					BurstLimit: p.Throttle.BurstLimit, QuotaLimit: p.Quota.Limit,
					QuotaPeriod: p.Quota.Period})
				break
			}
		}
	}
	return out, nil
}

// functionOfURI returns the logical id of the function a Lambda integration or
// authorizer URI invokes, or "" when it names none of the template.
func (v *Values) functionOfURI(uri string) string {
	_, fnARN, _ := strings.Cut(uri, ":lambda:path/2015-03-31/functions/")
	return v.functionOf(strings.TrimSuffix(fnARN, "/invocations"))
}
