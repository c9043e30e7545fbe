package neutronapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/httpjson"
	"github.com/openzun/zun/internal/network"
	"github.com/openzun/zun/internal/policy"
	"github.com/openzun/zun/internal/zunctx"
)

// Prefix is where the API is mounted (the catalog's network URL).
const Prefix = "/network"

// TokenValidator checks a token.
type TokenValidator interface {
	Validate(ctx context.Context, token string) (zunctx.Identity, time.Time, error)
}

// Server is the Neutron API.
type Server struct {
	publicURL string
	svc       *network.Service
	auth      TokenValidator
	policy    *policy.Enforcer
	log       *slog.Logger
}

// New returns the server; a nil pol uses the registered defaults.
func New(publicURL string, svc *network.Service, auth TokenValidator, pol *policy.Enforcer, log *slog.Logger) *Server {
	if pol == nil {
		pol = policy.New()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{publicURL: publicURL, svc: svc, auth: auth, policy: pol, log: log.With("component", "neutronapi")}
}

type handler func(q *request) (int, any, error)

type request struct {
	ctx   context.Context
	r     *http.Request
	id    zunctx.Identity
	admin bool
}

// Route is one operation: its pattern and policy rule (for sweeps).
type Route struct {
	Method, Path, Policy string
}

type route struct {
	Route
	h handler
	// targeted routes check their rule in the handler, against the
	// object's project rather than the caller's.
	targeted bool
}

func (s *Server) routes() []route {
	const v = Prefix + "/v2.0"
	var out []route
	add := func(method, path, rule string, h handler) {
		out = append(out, route{Route{method, v + path, rule}, h, false})
	}
	for _, res := range s.resources() {
		add("POST", "/"+res.plural, "create_"+res.singular, res.create)
		add("GET", "/"+res.plural, "get_"+res.singular, res.list)
		add("GET", "/"+res.plural+"/{id}", "get_"+res.singular, res.show)
		add("PUT", "/"+res.plural+"/{id}", "update_"+res.singular, res.update)
		add("DELETE", "/"+res.plural+"/{id}", "delete_"+res.singular, res.delete)
	}
	add("PUT", "/routers/{id}/add_router_interface", "add_router_interface", s.addInterface)
	add("PUT", "/routers/{id}/remove_router_interface", "remove_router_interface", s.removeInterface)
	out = append(out, s.quotaRoutes()...)
	add("GET", "/extensions", "", s.extensions)
	add("GET", "/extensions/{alias}", "", s.extension)
	return out
}

// Routes lists the operations and their rules.
func (s *Server) Routes() []Route {
	var out []Route
	for _, r := range s.routes() {
		out = append(out, r.Route)
	}
	return out
}

// Handler serves the API under Prefix.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Prefix+"/{$}", s.versions)
	mux.HandleFunc("GET "+Prefix, s.versions)
	mux.HandleFunc("GET "+Prefix+"/v2.0/{$}", s.resourceIndex)
	mux.HandleFunc("GET "+Prefix+"/v2.0", s.resourceIndex)
	for _, r := range s.routes() {
		rule := r.Policy
		if r.targeted {
			rule = ""
		}
		mux.Handle(r.Method+" "+r.Path, s.wrap(rule, r.h))
	}
	mux.Handle("/", s.wrap("", func(*request) (int, any, error) {
		return 0, nil, &network.Error{Type: "HTTPNotFound", Msg: "The resource could not be found.", Cat: errdefs.ErrNotFound}
	}))
	return mux
}

func (s *Server) wrap(rule string, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		q := &request{ctx: r.Context(), r: r}
		status, body, err := s.serve(rule, h, q)
		if err != nil {
			status = s.writeError(w, err)
		} else {
			writeJSON(w, status, body)
		}
		s.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", status,
			"project", q.id.ProjectID, "duration", time.Since(start))
	})
}

func (s *Server) serve(rule string, h handler, q *request) (int, any, error) {
	tok := q.r.Header.Get("X-Auth-Token")
	if tok == "" {
		return 0, nil, &network.Error{Type: "HTTPUnauthorized", Msg: "The request you have made requires authentication.", Cat: errdefs.ErrUnauthorized}
	}
	id, _, err := s.auth.Validate(q.ctx, tok)
	if err != nil {
		return 0, nil, &network.Error{Type: "HTTPUnauthorized", Msg: "The request you have made requires authentication.", Cat: errdefs.ErrUnauthorized}
	}
	if id.ProjectID == "" {
		return 0, nil, &network.Error{Type: "HTTPForbidden", Msg: "A project-scoped token is required.", Cat: errdefs.ErrForbidden}
	}
	q.id, q.ctx = id, zunctx.WithIdentity(q.ctx, id)
	// Neutron's administrators see every project.
	if s.policy.Allowed(q.ctx, "context_is_admin", policy.Target{ProjectID: id.ProjectID}) {
		q.admin, q.ctx = true, zunctx.WithAllProjects(q.ctx)
	}
	if rule != "" {
		if err := s.authorize(q, rule, id.ProjectID); err != nil {
			return 0, nil, err
		}
	}
	return h(q)
}

// authorize checks rule against an object of project.
func (s *Server) authorize(q *request, rule, project string) error {
	if s.policy.Allowed(q.ctx, rule, policy.Target{ProjectID: project}) {
		return nil
	}
	return &network.Error{Type: "PolicyNotAuthorized", Msg: "(rule:" + rule + ") is disallowed by policy", Cat: errdefs.ErrForbidden}
}

// allowedField reports whether an attribute rule allows the caller
// (unregistered: allowed).
func (s *Server) allowedField(q *request, rule, project string) bool {
	return s.policy.FieldAllowed(q.ctx, rule, policy.Target{ProjectID: project})
}

func writeJSON(w http.ResponseWriter, status int, body any) { httpjson.Write(w, status, body) }

var typeByStatus = map[int]string{
	400: "HTTPBadRequest", 401: "HTTPUnauthorized", 403: "HTTPForbidden", 404: "HTTPNotFound",
	405: "HTTPMethodNotAllowed", 409: "HTTPConflict", 413: "HTTPRequestEntityTooLarge", 415: "HTTPUnsupportedMediaType",
	501: "HTTPNotImplemented", 503: "HTTPServiceUnavailable",
}

func (s *Server) writeError(w http.ResponseWriter, err error) int {
	status := errdefs.HTTPStatus(err)
	if errors.Is(err, errdefs.ErrQuotaExceeded) {
		// Neutron's OverQuota is a Conflict (Zun's and Cinder's are 403).
		status = http.StatusConflict
	}
	msg, typ := err.Error(), typeByStatus[status]
	var ne *network.Error
	if errors.As(err, &ne) {
		msg, typ = ne.Msg, ne.Type
	}
	if typ == "" {
		typ = "HTTPInternalServerError"
	}
	if status >= 500 && status != http.StatusServiceUnavailable {
		s.log.Error("request failed", "err", err)
		msg, typ = "Request Failed: internal server error while processing your request.", "HTTPInternalServerError"
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Keystone uri="`+s.publicURL+`/identity"`)
	}
	writeJSON(w, status, map[string]any{"NeutronError": map[string]any{"type": typ, "message": msg, "detail": ""}})
	return status
}

func (s *Server) versions(w http.ResponseWriter, _ *http.Request) {
	v := map[string]any{"id": "v2.0", "status": "CURRENT",
		"links": []map[string]string{{"rel": "self", "href": s.publicURL + Prefix + "/v2.0/"}}}
	writeJSON(w, http.StatusOK, map[string]any{"versions": []any{v}})
}

func (s *Server) resourceIndex(w http.ResponseWriter, _ *http.Request) {
	var list []any
	for _, res := range s.resources() {
		list = append(list, map[string]any{"name": res.singular, "collection": res.plural,
			"links": []map[string]string{{"rel": "self", "href": s.publicURL + Prefix + "/v2.0/" + res.plural}}})
	}
	writeJSON(w, http.StatusOK, map[string]any{"resources": list})
}

var extensionList = []map[string]any{
	ext("security-group", "security-group", "The security groups extension."),
	ext("router", "Neutron L3 Router", "Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway."),
	ext("external-net", "Neutron external network", "Adds external network attribute to network resource."),
	ext("port-security", "Port Security", "Provides port security."),
	ext("allowed-address-pairs", "Allowed Address Pairs", "Provides allowed address pairs."),
	ext("binding", "Port Binding", "Expose port bindings of a virtual port to external application."),
	ext("standard-attr-description", "standard-attr-description", "Extension to add descriptions to standard attributes."),
	ext("standard-attr-timestamp", "Resource timestamps", "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes."),
	ext("standard-attr-revisions", "Resource revision numbers", "This extension will display the revision number of neutron resources."),
	ext("provider", "Provider Network", "Expose mapping of virtual networks to physical networks."),
	ext("net-mtu", "Network MTU", "Provides MTU attribute for a network resource."),
	ext("ext-gw-mode", "Neutron L3 Configurable external gateway mode", "Extension of the router abstraction for specifying whether SNAT should occur on the external gateway."),
	ext("project-id", "project_id field enabled", "Extension that indicates that project_id field is enabled."),
	ext("quotas", "Quota management support", "Expose functions for quotas management per tenant"),
	ext("quota_details", "Quota details management support", "Expose functions for quotas usage statistics per project"),
}

func ext(alias, name, desc string) map[string]any {
	return map[string]any{"alias": alias, "name": name, "description": desc, "links": []any{}, "updated": "2026-01-01T00:00:00-00:00"}
}

func (s *Server) extensions(*request) (int, any, error) {
	return http.StatusOK, map[string]any{"extensions": extensionList}, nil
}

func (s *Server) extension(q *request) (int, any, error) {
	alias := q.r.PathValue("alias")
	for _, e := range extensionList {
		if e["alias"] == alias {
			return http.StatusOK, map[string]any{"extension": e}, nil
		}
	}
	return 0, nil, &network.Error{Type: "HTTPNotFound", Msg: "Extension with alias " + alias + " does not exist", Cat: errdefs.ErrNotFound}
}
