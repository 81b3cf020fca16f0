package httpapi

import (
	"net/http"

	"github.com/aws/aws-lambda-go/events"
)

// PreflightHeaders are the request headers a browser may send on a management route.
const PreflightHeaders = "Authorization, Accept, Content-Type, If-Match, Idempotency-Key"

// Preflight answers a CORS preflight with 204 and no body. methods is the resource's
// Access-Control-Allow-Methods value (e.g. "GET, POST"). The CORS headers appear only
// when the request's Origin is on the allow-list; the security headers and the request
// id always do. A preflight takes no token: browsers send no Authorization header on it.
func (r Responder) Preflight(methods string) events.APIGatewayProxyResponse {
	out := r.JSON(http.StatusNoContent, nil, map[string]string{
		"Access-Control-Allow-Methods": methods,
		"Access-Control-Allow-Headers": PreflightHeaders,
		"Access-Control-Max-Age":       "600",
	})
	out.Body = ""
	return out
}
