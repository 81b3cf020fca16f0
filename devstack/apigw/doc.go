// Package apigw serves the REST API of a synthesized template the way API Gateway's
// Lambda proxy integration does, so a client sees locally what it will see in AWS.
//
// The API lives under /<stage>/ as at an execute-api URL. A request is matched to a
// resource (literal path parts before {param} before {proxy+}) and method (or ANY),
// turned into an events.APIGatewayProxyRequest (the body base64-encoded when its
// content type is one of the API's binary media types, */* matching all), and the
// function's APIGatewayProxyResponse is written back. Errors take API Gateway's shapes:
// 403 {"message":"Missing Authentication Token"} for an unknown resource or method (what
// API Gateway answers for both), 413 above the 10 MB payload limit, 502 for a function
// error or a malformed response, 504 after the 29 s integration timeout.
//
// A method with a Lambda authorizer (AuthorizationType CUSTOM) first calls the
// authorizer function with an events.APIGatewayCustomAuthorizerRequestTypeRequest. A
// missing identity header or the error "Unauthorized" answers 401, a policy that does
// not allow the method 403, any other authorizer failure 500; each in the body of the
// API's gateway response of that type when the template has one. An allowed request
// carries the authorizer's context and principalId in requestContext.authorizer. Answers
// are cached by identity source for the authorizer's TTL and their policy is evaluated
// against every later method, as API Gateway does.
//
// A method that requires an API key is metered by the API's usage plan: the key is the
// authorizer's usageIdentifierKey (key source AUTHORIZER) or the x-api-key header, each
// key with its own token bucket (the plan's rate and burst) and quota count per UTC
// day, week or month. No key answers 403 Forbidden (INVALID_API_KEY), over the throttle
// 429 (THROTTLED), over the quota 429 (QUOTA_EXCEEDED), in the API's gateway responses.
// The stage's own throttle is not applied.
package apigw
