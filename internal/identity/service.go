package identity

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/zunctx"
)

// Service is the embedded identity service.
type Service struct {
	cfg    Config
	st     store.Identity
	log    *slog.Logger
	signer atomic.Pointer[signer]
	ver    *Verifier
	now    func() time.Time
	hashes chan struct{} // bounds concurrent bcrypt work

	keyMu        sync.Mutex
	keyCheckedAt atomic.Int64 // unix nanos of the last look at the key file
	pruneAt      atomic.Int64 // unix nanos of the next revocation prune

	catalogMu sync.RWMutex
	services  []CatalogEntry
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
	_, created, err := loadOrCreateKey(cfg.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	if created {
		logger.Info("created token signing key", "path", cfg.KeyFile)
	}
	sg, err := loadSigner(cfg.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	s := &Service{
		cfg:      cfg,
		st:       st,
		log:      logger,
		ver:      NewStoreVerifier(st, cfg.Refresh, logger),
		now:      time.Now,
		hashes:   make(chan struct{}, max(2, runtime.GOMAXPROCS(0))),
		services: slices.Clone(cfg.Catalog),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.useSigner(ctx, sg); err != nil {
		return nil, err
	}
	if err := s.ver.Refresh(ctx); err != nil {
		return nil, fmt.Errorf("identity: read signing keys and revocations: %w", err)
	}
	s.ver.addKey(sg.kid, sg.key.Public().(ed25519.PublicKey))
	return s, nil
}

// useSigner publishes sg's public key and makes it the signing key.
func (s *Service) useSigner(ctx context.Context, sg *signer) error {
	pub := sg.key.Public().(ed25519.PublicKey)
	if err := s.st.AddSigningKey(ctx, model.SigningKey{ID: sg.kid, PublicKey: pub, CreatedAt: s.now().UTC()}); err != nil {
		return fmt.Errorf("identity: publish signing key: %w", err)
	}
	s.ver.addKey(sg.kid, pub)
	if old := s.signer.Swap(sg); old != nil && old.kid != sg.kid {
		s.log.InfoContext(ctx, "signing tokens with a new key", "key_id", sg.kid, "previous_key_id", old.kid)
	}
	return nil
}

// currentSigner returns the signing key, first loading the key file again
// if it changed (a rotation by "zun-api --rotate-identity-key") and was
// not looked at within the refresh bound.
func (s *Service) currentSigner(ctx context.Context) *signer {
	cur := s.signer.Load()
	now := s.now().UnixNano()
	if now-s.keyCheckedAt.Load() < int64(s.ver.refresh) || !s.keyMu.TryLock() {
		return cur
	}
	defer s.keyMu.Unlock()
	s.keyCheckedAt.Store(now)
	st, err := os.Stat(s.cfg.KeyFile)
	if err != nil || st.ModTime().Equal(cur.modTime) {
		return cur
	}
	sg, err := loadSigner(s.cfg.KeyFile)
	if err == nil {
		err = s.useSigner(ctx, sg)
	}
	if err != nil {
		s.log.ErrorContext(ctx, "reload of the signing key failed; signing with the previous one", "err", err)
		return cur
	}
	return sg
}

// PublicKey returns the key that verifies the tokens this service signs
// now (for NewVerifier in a component without the store).
func (s *Service) PublicKey() ed25519.PublicKey {
	return s.signer.Load().key.Public().(ed25519.PublicKey)
}

// Verifier returns the service's verifier (shared cache, key set and
// revocation list).
func (s *Service) Verifier() *Verifier { return s.ver }

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
	mux.HandleFunc("DELETE /v3/auth/tokens", s.handleRevoke)
	mux.HandleFunc("GET /v3/auth/domains", s.authed(s.handleAuthDomains))
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
		c, err := s.ver.claimsCtx(r.Context(), r.Header.Get("X-Auth-Token"))
		if err != nil {
			s.unauthorized(w)
			return
		}
		h(w, r, c)
	}
}
