package template

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// API is an AWS::ApiGateway::RestApi with its stage and Lambda proxy routes.
type API struct {
	LogicalID        string
	ID               string // the local rest API id
	Stage            string // stage name, "prod" when the template declares none
	BinaryMediaTypes []string
	Routes           []Route
}

// Route is one AWS_PROXY method of a REST API.
type Route struct {
	ResourceID string // logical id of the API Gateway resource ("/" for the root)
	Path       string // resource path, e.g. /events/{id}
	Method     string // HTTP method or ANY
	FunctionID string // logical id of the integrated function
}

// APIs returns every REST API of the template with its routes. Methods whose
// integration is not a Lambda proxy (MOCK, HTTP) are left out.
func (v *Values) APIs() ([]API, error) {
	var out []API
	for _, id := range v.tpl.LogicalIDs(TypeRestAPI) {
		var p struct{ BinaryMediaTypes []string }
		if err := v.tpl.Properties(id, &p); err != nil {
			return nil, err
		}
		api := API{LogicalID: id, ID: v.Name(id), Stage: v.stageOf(id)}
		for _, t := range p.BinaryMediaTypes {
			api.BinaryMediaTypes = append(api.BinaryMediaTypes, strings.ReplaceAll(t, "~1", "/"))
		}
		routes, err := v.routesOf(id)
		if err != nil {
			return nil, fmt.Errorf("rest api %s: %w", id, err)
		}
		api.Routes = routes
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
	HTTPMethod  string          `json:"HttpMethod"`
	ResourceID  json.RawMessage `json:"ResourceId"`
	RestAPIID   json.RawMessage `json:"RestApiId"`
	Integration struct {
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
	_, fnARN, _ := strings.Cut(uri, ":lambda:path/2015-03-31/functions/")
	fnARN = strings.TrimSuffix(fnARN, "/invocations")
	fn := v.idByAttr("Arn", fnARN)
	if fn == "" {
		return Route{}, fmt.Errorf("integration uri %q names no function of the template", uri)
	}
	return Route{ResourceID: res, Path: path, Method: strings.ToUpper(p.HTTPMethod),
		FunctionID: fn}, nil
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
