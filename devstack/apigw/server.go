package apigw

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/adpulse/adpulse/devstack/lambdarun"
	"github.com/adpulse/adpulse/devstack/template"
)

// API Gateway limits the proxy reproduces.
const (
	MaxPayload         = 10 * 1024 * 1024 // request payload
	IntegrationTimeout = 29 * time.Second
	maxInvokePayload   = 6 * 1024 * 1024 // Lambda's synchronous request payload
)

// Invoker invokes a function synchronously (lambdarun.Runner in the stack).
type Invoker interface {
	Invoke(ctx context.Context, function string, payload []byte) (lambdarun.Result, error)
}

// Server serves one REST API. Create it with New, then Start it.
type Server struct {
	api       template.API
	functions map[string]string // physical function name by logical id
	inv       Invoker
	log       *slog.Logger
	router    *router
	timeout   time.Duration

	srv      *http.Server
	url      string
	inflight atomic.Int64
	last     atomic.Int64 // unix nanos of the last request's end

	auth  authCache // Lambda authorizer answers by identity source
	plans *meters   // the API's usage plan; nil when it has none
}

// New returns a server for api; functions maps the template's function logical ids to
// the physical names to invoke.
func New(api template.API, functions map[string]string, inv Invoker, log *slog.Logger) *Server {
	s := &Server{api: api, functions: functions, inv: inv, log: log.With("api", api.ID),
		router: newRouter(api.Routes), timeout: IntegrationTimeout}
	if len(api.UsagePlans) > 0 {
		// A key belongs to one plan; locally every key is taken to be in the first.
		s.plans = newMeters(api.UsagePlans[0])
	}
	return s
}

// SetClock replaces the clock of the usage plan's throttle and quota (tests).
func (s *Server) SetClock(now func() time.Time) {
	if s.plans != nil {
		s.plans.now = now
	}
}

// SetTimeout replaces the 29 s integration timeout (tests).
func (s *Server) SetTimeout(d time.Duration) { s.timeout = d }

// Start listens on addr (host:port; port 0 picks a free one) and serves until Close.
func (s *Server) Start(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	s.url = "http://" + l.Addr().String()
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("api server", "err", err)
		}
	}()
	s.log.Info("api serving", "url", s.url, "routes", len(s.api.Routes))
	return nil
}

// URL returns the API's base URL without a trailing slash, as http://127.0.0.1:3000;
// routes answer under it directly and under /<stage>.
func (s *Server) URL() string { return s.url }

// InFlight returns the number of requests being served.
func (s *Server) InFlight() int64 { return s.inflight.Load() }

// LastRequest returns when the last request ended (zero when none has).
func (s *Server) LastRequest() time.Time {
	if n := s.last.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// Close stops accepting requests and waits up to 5 s for those in flight.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("shut down api server: %w", err)
	}
	return nil
}

// ServeHTTP answers one request as API Gateway would.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.inflight.Add(1)
	defer func() {
		s.last.Store(time.Now().UnixNano())
		s.inflight.Add(-1)
	}()
	start := time.Now()
	reqID := newID()
	w.Header().Set("x-amzn-RequestId", reqID)
	status := s.serve(w, r, reqID)
	s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", status,
		"took", time.Since(start), "requestId", reqID)
}

// serve does the work of ServeHTTP and returns the status written.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, reqID string) int {
	// Like `sam local start-api`, the routes answer at the root as well as under the
	// stage, so local URLs stay short: /v1/events and /prod/v1/events are the same.
	path := r.URL.Path
	if rest, ok := strings.CutPrefix(path, "/"+s.api.Stage); ok &&
		(rest == "" || strings.HasPrefix(rest, "/")) {
		path = rest
	}
	path = "/" + strings.TrimPrefix(path, "/")
	res, params := s.router.match(path)
	if res == nil {
		return s.refuse(w, missingToken, reqID)
	}
	route, ok := res.method(r.Method)
	if !ok {
		return s.refuse(w, missingToken, reqID)
	}
	body, err := readBody(r)
	if err != nil {
		return s.refuse(w, tooLarge, reqID)
	}
	g, status, ok := s.authorize(w, r, path, route, params, reqID)
	if !ok {
		return status
	}
	if status, ok := s.meter(w, r, route, g.usageKey, reqID); !ok {
		return status
	}
	ev := s.event(r, path, route, params, body, reqID)
	ev.RequestContext.Authorizer = g.context
	payload, err := json.Marshal(ev)
	if err != nil || len(payload) > maxInvokePayload {
		s.log.Warn("invoke payload over Lambda's 6 MB limit", "bytes", len(payload))
		return s.refuse(w, internalError(http.StatusInternalServerError), reqID)
	}
	return s.integrate(w, r.Context(), route, payload, reqID)
}

// integrate invokes the route's function and writes its response.
func (s *Server) integrate(w http.ResponseWriter, ctx context.Context, route template.Route,
	payload []byte, reqID string) int {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	res, err := s.inv.Invoke(ctx, s.functions[route.FunctionID], payload)
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		return s.refuse(w, timedOut, reqID)
	case err != nil:
		s.log.Error("invoke", "function", route.FunctionID, "err", err)
		return s.refuse(w, internalError(http.StatusBadGateway), reqID)
	case res.FunctionError != "":
		s.log.Warn("function error", "function", route.FunctionID,
			"error", string(res.Payload))
		return s.refuse(w, internalError(http.StatusBadGateway), reqID)
	}
	status, err := writeResponse(w, res.Payload)
	if err != nil {
		s.log.Warn("malformed Lambda proxy response", "function", route.FunctionID,
			"err", err)
		return s.refuse(w, internalError(http.StatusBadGateway), reqID)
	}
	return status
}

// API Gateway's own answers that are not about authorization.
var (
	missingToken = refusal{"MISSING_AUTHENTICATION_TOKEN", "MissingAuthenticationTokenException",
		"Missing Authentication Token", http.StatusForbidden}
	tooLarge = refusal{"REQUEST_TOO_LARGE", "RequestTooLargeException", "Request Too Long",
		http.StatusRequestEntityTooLarge}
	timedOut = refusal{"INTEGRATION_TIMEOUT", "IntegrationTimeoutException",
		"Endpoint request timed out", http.StatusGatewayTimeout}
)

// internalError is API Gateway's answer when the integration fails (502) or the request
// cannot be passed on (500); no response type of its own, so DEFAULT_5XX shapes it.
func internalError(status int) refusal {
	return refusal{"", errorType(status), "Internal server error", status}
}

// errorType returns the x-amzn-ErrorType API Gateway sends with an error status.
func errorType(status int) string {
	switch status {
	case http.StatusForbidden:
		return "MissingAuthenticationTokenException"
	case http.StatusGatewayTimeout:
		return "IntegrationTimeoutException"
	case http.StatusRequestEntityTooLarge:
		return "RequestTooLargeException"
	}
	return "InternalServerErrorException:" + strconv.Itoa(status)
}
