package apigw

import (
	"strings"

	"github.com/adpulse/adpulse/devstack/template"
)

// resource is one API Gateway resource path and its methods.
type resource struct {
	id      string
	path    string
	parts   []string
	methods map[string]template.Route // by method, "ANY" included
}

// router matches request paths (without the stage) to resources.
type router struct{ resources []*resource }

// newRouter groups routes by resource.
func newRouter(routes []template.Route) *router {
	byPath := make(map[string]*resource)
	r := &router{}
	for _, rt := range routes {
		res, ok := byPath[rt.Path]
		if !ok {
			res = &resource{id: rt.ResourceID, path: rt.Path, parts: split(rt.Path),
				methods: make(map[string]template.Route)}
			byPath[rt.Path] = res
			r.resources = append(r.resources, res)
		}
		res.methods[rt.Method] = rt
	}
	return r
}

// match returns the most specific resource matching path, with its path parameters.
func (r *router) match(path string) (*resource, map[string]string) {
	segs := split(path)
	var best *resource
	var bestParams map[string]string
	bestScore := -1
	for _, res := range r.resources {
		params, score, ok := matchParts(res.parts, segs)
		if ok && score > bestScore {
			best, bestParams, bestScore = res, params, score
		}
	}
	return best, bestParams
}

// matchParts matches template parts against request segments. The score prefers
// literal parts, then {param}, then {proxy+}, from left to right.
func matchParts(parts, segs []string) (map[string]string, int, bool) {
	var params map[string]string
	score := 0
	for i, p := range parts {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "+}") {
			if i >= len(segs) {
				return nil, 0, false
			}
			params = set(params, p[1:len(p)-2], strings.Join(segs[i:], "/"))
			return params, score * 3, true
		}
		if i >= len(segs) || segs[i] == "" {
			return nil, 0, false
		}
		score *= 3
		switch {
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}"):
			params = set(params, p[1:len(p)-1], segs[i])
			score++
		case p == segs[i]:
			score += 2
		default:
			return nil, 0, false
		}
	}
	return params, score, len(parts) == len(segs)
}

// method returns the route for method on res, falling back to ANY.
func (res *resource) method(m string) (template.Route, bool) {
	if rt, ok := res.methods[m]; ok {
		return rt, true
	}
	rt, ok := res.methods["ANY"]
	return rt, ok
}

// split splits a path into its segments; "/" has none.
func split(path string) []string {
	path = strings.Trim(path, "/")
	if path == "" {
		return nil
	}
	return strings.Split(path, "/")
}

// set adds k=v to m, allocating it on first use.
func set(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = make(map[string]string)
	}
	m[k] = v
	return m
}
