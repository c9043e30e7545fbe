package volumeapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/httpjson"
	"github.com/openzun/zun/internal/policy"
	"github.com/openzun/zun/internal/rpc"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/zunctx"
)

// Prefix is where the API is mounted; the catalog URL is
// Prefix + "/v3/$(project_id)s".
const Prefix = "/volume"

// TokenValidator checks a token.
type TokenValidator interface {
	Validate(ctx context.Context, token string) (zunctx.Identity, time.Time, error)
}

// Caster reaches the compute agent of a host.
type Caster interface {
	Cast(ctx context.Context, method string, req rpc.ContainerRequest) error
}

// Config configures the server.
type Config struct {
	// PublicURL is the base of links ("http://127.0.0.1:9517").
	PublicURL string
	// MaxSize bounds a volume's size in GiB (default 1000).
	MaxSize int64
}

// Server is the volume API.
type Server struct {
	cfg     Config
	vols    store.Volumes
	compute Caster
	auth    TokenValidator
	policy  *policy.Enforcer
	log     *slog.Logger
}

// New returns the server; its rules (volume:*) are registered with the
// policy defaults; a nil pol uses the defaults.
func New(cfg Config, vols store.Volumes, compute Caster, auth TokenValidator, pol *policy.Enforcer, log *slog.Logger) *Server {
	if cfg.MaxSize <= 0 {
		cfg.MaxSize = 1000
	}
	if pol == nil {
		pol = policy.New()
	}
	return &Server{cfg: cfg, vols: vols, compute: compute, auth: auth, policy: pol, log: log.With("component", "volumeapi")}
}

type handler func(q *request) (int, any, error)

type request struct {
	ctx     context.Context
	r       *http.Request
	id      zunctx.Identity
	project string
}

// Handler serves the API under Prefix.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	const base = Prefix + "/v3/{project_id}"
	mux.HandleFunc("GET "+Prefix+"/{$}", s.versions)
	mux.HandleFunc("GET "+Prefix+"/v3/{$}", s.versions)
	mux.HandleFunc("GET "+Prefix+"/v3", s.versions)
	for _, r := range []struct {
		pattern string
		rule    string
		h       handler
	}{
		{"POST " + base + "/volumes", "volume:create", s.create},
		{"GET " + base + "/volumes", "volume:get_all", s.list(false)},
		{"GET " + base + "/volumes/detail", "volume:get_all", s.list(true)},
		{"GET " + base + "/volumes/{id}", "volume:get", s.show},
		{"DELETE " + base + "/volumes/{id}", "volume:delete", s.delete},
		{"GET " + base + "/attachments", "volume:get_all", s.attachments(false)},
		{"GET " + base + "/attachments/detail", "volume:get_all", s.attachments(true)},
		{"GET " + base + "/os-quota-sets/{target}", "volume:quota:show", s.quotaShow},
		{"GET " + base + "/os-quota-sets/{target}/defaults", "volume:quota:show", s.quotaDefaults},
		{"PUT " + base + "/os-quota-sets/{target}", "volume:quota:show", s.quotaUpdate},
	} {
		mux.Handle(r.pattern, s.wrap(r.rule, r.h))
	}
	mux.Handle("/", s.wrap("", func(*request) (int, any, error) {
		return 0, nil, errdefs.New(errdefs.ErrNotFound, "The resource could not be found.")
	}))
	return mux
}

// wrap authenticates, checks that the path's project is the token's
// (another project's URL is 404, never 403), checks rule, and writes the
// answer or Cinder's error body.
func (s *Server) wrap(rule string, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		w.Header().Set("OpenStack-API-Version", "volume 3.0")
		w.Header().Set("Vary", "OpenStack-API-Version")
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
		return 0, nil, errdefs.New(errdefs.ErrUnauthorized, "The request you have made requires authentication.")
	}
	id, _, err := s.auth.Validate(q.ctx, tok)
	if err != nil {
		return 0, nil, errdefs.New(errdefs.ErrUnauthorized, "The request you have made requires authentication.")
	}
	q.id, q.ctx = id, zunctx.WithIdentity(q.ctx, id)
	if rule == "" {
		return h(q)
	}
	q.project = q.r.PathValue("project_id")
	if q.project != id.ProjectID {
		return 0, nil, errdefs.New(errdefs.ErrNotFound, "The resource could not be found.")
	}
	if err := s.policy.Authorize(q.ctx, rule, policy.Target{ProjectID: q.project}); err != nil {
		return 0, nil, err
	}
	return h(q)
}

func writeJSON(w http.ResponseWriter, status int, body any) { httpjson.Write(w, status, body) }

// faultNames are Cinder's (webob) fault keys by status.
var faultNames = map[int]string{
	400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "itemNotFound", 405: "badMethod",
	409: "conflictingRequest", 413: "overLimit", 415: "badMediaType", 501: "notImplemented", 503: "serviceUnavailable",
}

func (s *Server) writeError(w http.ResponseWriter, err error) int {
	status := errdefs.HTTPStatus(err)
	if over := (*store.VolumeOverQuotaError)(nil); errors.As(err, &over) {
		status = http.StatusRequestEntityTooLarge // Cinder's OverQuota faults
	}
	msg := err.Error()
	name, ok := faultNames[status]
	if !ok {
		name = "computeFault"
	}
	if status >= 500 && status != http.StatusServiceUnavailable {
		s.log.Error("request failed", "err", err)
		msg = "The server has either erred or is incapable of performing the requested operation."
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Keystone uri="`+s.cfg.PublicURL+`/identity"`)
	}
	writeJSON(w, status, map[string]any{name: map[string]any{"code": status, "message": msg}})
	return status
}

func (s *Server) versions(w http.ResponseWriter, _ *http.Request) {
	v := map[string]any{
		"id": "v3.0", "status": "CURRENT", "version": "3.0", "min_version": "3.0",
		"updated":     "2026-01-01T00:00:00Z",
		"links":       []map[string]string{{"rel": "self", "href": s.cfg.PublicURL + Prefix + "/v3/"}},
		"media-types": []map[string]string{{"base": "application/json", "type": "application/vnd.openstack.volume+json;version=3"}},
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": []any{v}})
}
