package apiserver

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/policy"
	"github.com/openzun/zun/internal/rpc"
	"github.com/openzun/zun/internal/scheduler"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/zunctx"
)

// Scheduler places a container and claims its resources durably.
type Scheduler interface {
	Schedule(ctx context.Context, r *scheduler.Request) (string, error)
	Invalidate()
}

// TokenValidator checks a token and returns the caller (identity.Service
// or a client of an external Keystone).
type TokenValidator interface {
	Validate(ctx context.Context, token string) (zunctx.Identity, time.Time, error)
}

// Compute reaches compute agents.
type Compute interface {
	Cast(ctx context.Context, method string, req rpc.ContainerRequest) error
	Call(ctx context.Context, method string, req rpc.ContainerRequest, resp any) error
}

// ImageService is the embedded image service as the API uses it (search,
// commit uploads).
type ImageService interface {
	Search(ctx context.Context, name string, exact bool) ([]*model.GlanceImage, error)
	UploadURL(id string) string
}

// SecretBox encrypts registry passwords at rest.
type SecretBox interface {
	Seal(plain, additional string) (string, error)
	Open(sealed, additional string) (string, error)
}

// Config configures the API server.
type Config struct {
	// PublicURL is the base of links ("http://127.0.0.1:9517").
	PublicURL string
	// MaxBodyBytes bounds request bodies (default 1 MiB).
	MaxBodyBytes int64
	// MaxLimit caps list pages (Zun: 1000).
	MaxLimit int
	// ServiceDownTime is how long without heartbeat a service is down.
	ServiceDownTime time.Duration
	// DefaultAZ is the availability zone of services that name none.
	DefaultAZ string
	// CallTimeout bounds synchronous calls to agents.
	CallTimeout time.Duration
	// WSProxyURL is the websocket proxy's base URL ("ws://h:6784/"); empty
	// disables attach and interactive exec (501).
	WSProxyURL string
	// ConsoleTokenTTL is how long an attach/exec token waits for its
	// session (default 30 s, at most 60 s).
	ConsoleTokenTTL time.Duration
}

// Server is the API.
type Server struct {
	cfg     Config
	store   store.Store
	sched   Scheduler
	compute Compute
	auth    TokenValidator
	policy  *policy.Enforcer
	log     *slog.Logger
	now     func() time.Time
	images  ImageService
	secrets SecretBox
	nets    NetworkService
	routes  []route
	// Extra handlers mounted beside /v1 (identity at /identity).
	mounts map[string]http.Handler
}

// Deps are the collaborators of a Server.
type Deps struct {
	Store     store.Store
	Scheduler Scheduler
	Compute   Compute
	Auth      TokenValidator
	Policy    *policy.Enforcer
	Logger    *slog.Logger
	// Images and Secrets are optional: without them the glance image
	// driver, commit and registries answer that the service is absent.
	Images  ImageService
	Secrets SecretBox
	// Networks puts containers on tenant networks; nil keeps them on the
	// engine's default bridge (--networking=none).
	Networks NetworkService
}

// New builds the server.
func New(cfg Config, d Deps) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.ConsoleTokenTTL <= 0 || cfg.ConsoleTokenTTL > time.Minute {
		cfg.ConsoleTokenTTL = 30 * time.Second
	}
	if cfg.MaxLimit <= 0 {
		cfg.MaxLimit = 1000
	}
	if cfg.ServiceDownTime <= 0 {
		cfg.ServiceDownTime = 180 * time.Second
	}
	if cfg.DefaultAZ == "" {
		cfg.DefaultAZ = "nova"
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 60 * time.Second
	}
	if d.Policy == nil {
		d.Policy = policy.New()
	}
	s := &Server{
		cfg: cfg, store: d.Store, sched: d.Scheduler, compute: d.Compute, auth: d.Auth,
		policy: d.Policy, log: d.Logger.With("component", "api"), now: time.Now,
		mounts: map[string]http.Handler{}, images: d.Images, secrets: d.Secrets, nets: d.Networks,
	}
	s.routes = s.routeTable()
	return s
}

// Mount serves h under prefix (e.g. "/identity/"), outside the v1 wrapper.
func (s *Server) Mount(prefix string, h http.Handler) { s.mounts[prefix] = h }

// Routes returns the route table (for the policy completeness test).
func (s *Server) Routes() []RouteInfo {
	out := make([]RouteInfo, len(s.routes))
	for i, r := range s.routes {
		out[i] = RouteInfo{Method: r.method, Path: r.path, Policy: r.policy, Public: r.public, MinVer: r.minVer, MaxVer: r.maxVer}
	}
	return out
}

// RouteInfo describes a route. MinVer and MaxVer bound the minor
// microversions serving it (0: any).
type RouteInfo struct {
	Method, Path, Policy string
	Public               bool
	MinVer, MaxVer       int
}

// Handler returns the HTTP handler of the whole API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, r := range s.routes {
		mux.Handle(r.method+" "+r.path, s.wrap(r))
	}
	for prefix, h := range s.mounts {
		mux.Handle(prefix, h)
	}
	// Unknown paths under /v1 answer in the envelope.
	mux.Handle("/", s.wrap(route{public: true, handler: func(*request) (int, any, error) {
		return 0, nil, errNotFoundPath
	}}))
	return withoutTrailingSlash(mux)
}

// withoutTrailingSlash serves "/v1/containers/" as "/v1/containers":
// python-zunclient adds the slash when it sends a query
// (GET /v1/containers/?all_projects=True), and Zun's routing accepts both.
// Only the Zun API's paths: mounted services (/identity, /volume) route
// their own slashes (Cinder's version document is at "/volume/").
func withoutTrailingSlash(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; strings.HasPrefix(p, "/v1/") && len(p) > len("/v1/") && strings.HasSuffix(p, "/") {
			u := *r.URL
			u.Path, u.RawPath = strings.TrimRight(p, "/"), ""
			if u.Path == "" {
				u.Path = "/"
			}
			r2 := *r
			r2.URL = &u
			r = &r2
		}
		h.ServeHTTP(w, r)
	})
}
