package identity

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/zunctx"
)

// Service is the embedded identity service.
type Service struct {
	cfg    Config
	st     store.Identity
	log    *slog.Logger
	key    ed25519.PrivateKey
	ver    *Verifier
	now    func() time.Time
	hashes chan struct{} // bounds concurrent bcrypt work
}

// New loads (or creates) the signing key and returns the service.
func New(cfg Config, st store.Identity, logger *slog.Logger) (*Service, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, fmt.Errorf("identity: store is required: %w", errdefs.ErrInvalidArgument)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "identity")
	key, created, err := loadOrCreateKey(cfg.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	if created {
		logger.Info("created token signing key", "path", cfg.KeyFile)
	}
	return &Service{
		cfg:    cfg,
		st:     st,
		log:    logger,
		key:    key,
		ver:    NewVerifier(key.Public().(ed25519.PublicKey)),
		now:    time.Now,
		hashes: make(chan struct{}, max(2, runtime.GOMAXPROCS(0))),
	}, nil
}

// PublicKey returns the key that verifies this service's tokens (for
// NewVerifier in another component).
func (s *Service) PublicKey() ed25519.PublicKey { return s.key.Public().(ed25519.PublicKey) }

// Validate implements Validator without touching the store.
func (s *Service) Validate(ctx context.Context, token string) (zunctx.Identity, time.Time, error) {
	return s.ver.Validate(ctx, token)
}

// setClock replaces the clock of the service and its verifier (tests).
func (s *Service) setClock(now func() time.Time) {
	s.now = now
	s.ver.now = now
}

// Handler serves the Keystone v3 subset relative to its mount point.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handleVersions)
	mux.HandleFunc("GET /v3", s.handleVersion)
	mux.HandleFunc("GET /v3/{$}", s.handleVersion)
	mux.HandleFunc("POST /v3/auth/tokens", s.handleIssue)
	mux.HandleFunc("GET /v3/auth/tokens", s.handleCheck)
	mux.HandleFunc("GET /v3/auth/catalog", s.authed(s.handleCatalog))
	mux.HandleFunc("GET /v3/auth/projects", s.authed(s.handleAuthProjects))
	s.adminRoutes(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Vary", "X-Auth-Token")
		w.Header().Set("Cache-Control", "no-store")
		if r.URL.Path == "" { // the bare mount point, e.g. /identity
			r2 := *r
			u := *r.URL
			u.Path = "/"
			r2.URL = &u
			r = &r2
		}
		h, pattern := mux.Handler(r)
		if pattern == "" {
			// Keystone's error format instead of the mux's plain text.
			rec := &statusRecorder{}
			h.ServeHTTP(rec, r)
			if rec.status == http.StatusMethodNotAllowed {
				w.Header()["Allow"] = rec.header["Allow"]
				writeError(w, http.StatusMethodNotAllowed, "The method is not allowed for the requested URL.")
				return
			}
			writeError(w, http.StatusNotFound, "The resource could not be found.")
			return
		}
		// ServeHTTP, not h: only it sets the path values of the pattern.
		mux.ServeHTTP(w, r)
	})
}

// Mount registers Handler on mux under prefix (e.g. "/identity"), for the
// bare prefix as well as everything below it. The bare prefix matters:
// clients use it as auth_url, and ServeMux would otherwise answer it with a
// relative redirect that keystoneauth1 cannot follow.
func (s *Service) Mount(mux *http.ServeMux, prefix string) {
	prefix = strings.TrimRight(prefix, "/")
	h := http.StripPrefix(prefix, s.Handler())
	mux.Handle(prefix+"/", h)
	if prefix != "" {
		mux.Handle(prefix, h)
	}
}

// statusRecorder captures what the mux's not-found/not-allowed handler
// would answer, to re-render it in Keystone's format.
type statusRecorder struct {
	header http.Header
	status int
}

func (r *statusRecorder) Header() http.Header {
	if r.header == nil {
		r.header = http.Header{}
	}
	return r.header
}
func (r *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *statusRecorder) WriteHeader(code int)        { r.status = code }

type authedHandler func(w http.ResponseWriter, r *http.Request, c *claims)

// authed requires a valid X-Auth-Token.
func (s *Service) authed(h authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := s.ver.claims(r.Header.Get("X-Auth-Token"))
		if err != nil {
			s.unauthorized(w)
			return
		}
		h(w, r, c)
	}
}
