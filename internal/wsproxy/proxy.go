package wsproxy

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/openzun/zun/internal/consolelink"
	"github.com/openzun/zun/internal/errdefs"
)

// Locator finds the console link address of the agent running a
// container; errdefs.ErrNotFound when there is none.
type Locator interface {
	Endpoint(ctx context.Context, uuid string) (string, error)
}

// Config configures a proxy.
type Config struct {
	// BaseURL is the URL handed to clients (ws://host:6784/); its origin
	// (http://host:6784, or https:// for wss) is always allowed.
	BaseURL string
	// AllowedOrigins are further browser origins ("https://dash.example").
	AllowedOrigins []string
	// Secret is the console link's shared secret.
	Secret []byte
	// IdleTimeout closes a session without traffic (default 10 min).
	IdleTimeout time.Duration
	// MaxSessionsPerUser bounds one user's concurrent sessions (default
	// 8) through Limiter: on this proxy alone by default, across every
	// proxy with a PeerLimiter. Agents bound sessions per container.
	MaxSessionsPerUser int
	Limiter            SessionLimiter
}

// Proxy serves websocket sessions.
type Proxy struct {
	cfg     Config
	loc     Locator
	log     *slog.Logger
	path    string
	origins map[string]bool // fixed at New: never grows

	mu       sync.Mutex
	sessions map[*session]struct{}
	closed   bool
	wg       sync.WaitGroup
}

// New returns a proxy.
func New(cfg Config, loc Locator, log *slog.Logger) (*Proxy, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return nil, fmt.Errorf("websocket proxy base URL %q must be ws:// or wss://", cfg.BaseURL)
	}
	if len(cfg.Secret) < 16 {
		return nil, errors.New("console link secret must be at least 16 bytes")
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 10 * time.Minute
	}
	if cfg.MaxSessionsPerUser <= 0 {
		cfg.MaxSessionsPerUser = 8
	}
	if cfg.Limiter == nil {
		cfg.Limiter = NewLocalLimiter(cfg.MaxSessionsPerUser)
	}
	own := "http"
	if u.Scheme == "wss" {
		own = "https"
	}
	origins := map[string]bool{}
	for _, o := range append([]string{own + "://" + u.Host}, cfg.AllowedOrigins...) {
		n, ok := normalizeOrigin(o)
		if !ok {
			return nil, fmt.Errorf("allowed origin %q is not scheme://host[:port]", o)
		}
		origins[n] = true
	}
	p := u.Path
	if p == "" {
		p = "/"
	}
	return &Proxy{cfg: cfg, loc: loc, log: log, path: p, origins: origins,
		sessions: map[*session]struct{}{}}, nil
}

// normalizeOrigin lower-cases scheme and host and drops default ports.
func normalizeOrigin(o string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(o))
	if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", false
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host, true
}

// ServeHTTP serves one websocket session. The access line logs the path
// only: the query carries the token.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	status, detail := p.serve(w, r)
	p.log.Info("websocket request", "method", r.Method, "path", r.URL.Path, "status", status,
		"remote", r.RemoteAddr, "duration_ms", time.Since(start).Milliseconds(), "result", detail)
}

// refuse answers a failed handshake without detail.
func refuse(w http.ResponseWriter, code int) int {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(http.StatusText(code) + "\n"))
	return code
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) (int, string) {
	if r.URL.Path != p.path {
		return refuse(w, http.StatusNotFound), "unknown path"
	}
	if r.Method != http.MethodGet {
		return refuse(w, http.StatusMethodNotAllowed), "method"
	}
	origin, ok := normalizeOrigin(r.Header.Get("Origin"))
	if !ok || !p.origins[origin] {
		return refuse(w, http.StatusForbidden), "origin not allowed"
	}
	q := r.URL.Query()
	token, uuid, execID := q.Get("token"), q.Get("uuid"), q.Get("exec_id")
	for k, v := range q {
		if (k != "token" && k != "uuid" && k != "exec_id") || len(v) != 1 {
			return refuse(w, http.StatusForbidden), "malformed session parameters"
		}
	}
	if len(token) != 43 || !validUUID(uuid) || (execID != "" && !validExecID(execID)) {
		return refuse(w, http.StatusForbidden), "malformed session parameters"
	}
	hash := sha256.Sum256([]byte(token))
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	addr, err := p.loc.Endpoint(ctx, uuid)
	if errors.Is(err, errdefs.ErrNotFound) {
		return refuse(w, http.StatusForbidden), "no such container"
	}
	if err != nil {
		p.log.Warn("failed to locate the container's agent", "container", uuid, "err", err)
		return refuse(w, http.StatusServiceUnavailable), "agent unavailable"
	}
	link, rep, err := consolelink.Dial(ctx, addr, p.cfg.Secret, consolelink.Request{TokenHash: hash, UUID: uuid, ExecID: execID})
	if err != nil {
		p.log.Warn("failed to open the console link", "container", uuid, "agent", addr, "err", err)
		return refuse(w, http.StatusServiceUnavailable), "agent unavailable"
	}
	switch rep.Status {
	case consolelink.StatusOK:
	case consolelink.StatusDenied:
		return refuse(w, http.StatusForbidden), "token refused"
	case consolelink.StatusBusy:
		return refuse(w, http.StatusTooManyRequests), "too many sessions on the container"
	default:
		// The engine's reason stays in the agent's log; the client gets
		// its category only (409: not running, paused).
		code := http.StatusConflict
		if rep.Error != nil {
			if c := errdefs.HTTPStatus(errdefs.FromWire(rep.Error)); c == http.StatusNotFound || c == http.StatusConflict {
				code = c
			}
		}
		return refuse(w, code), "engine could not open the session"
	}
	release, err := p.cfg.Limiter.Acquire(ctx, rep.UserID)
	if err != nil {
		_ = link.Close()
		if errors.Is(err, ErrTooMany) {
			return refuse(w, http.StatusTooManyRequests), "too many sessions of the user"
		}
		p.log.Warn("failed to count the user's sessions", "err", err)
		return refuse(w, http.StatusServiceUnavailable), "session count unavailable"
	}
	defer release()
	s := &session{proxy: p, link: link, user: rep.UserID, container: uuid, exec: execID}
	if !p.acquire(s) {
		_ = link.Close()
		return refuse(w, http.StatusServiceUnavailable), "proxy shutting down"
	}
	defer p.release(s)
	ws, err := websocket.Accept(bigWriteHijacker{w}, r, &websocket.AcceptOptions{
		Subprotocols: []string{"binary", "base64"},
		// The Origin was checked above against the fixed allowlist.
		InsecureSkipVerify: true,
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		_ = link.Close()
		return http.StatusBadRequest, "websocket handshake failed"
	}
	// Close reads s.ws under p.mu; a Close that came before it missed
	// this websocket, so close it here.
	p.mu.Lock()
	s.ws = ws
	closing := p.closed
	p.mu.Unlock()
	if closing {
		ws.Close(websocket.StatusGoingAway, "proxy shutting down")
		return http.StatusSwitchingProtocols, "proxy shutting down"
	}
	p.log.Info("console session started", "container", uuid, "exec", execID, "user", rep.UserID, "project", rep.ProjectID)
	reason := s.run(r.Context())
	p.log.Info("console session ended", "container", uuid, "exec", execID, "user", rep.UserID, "reason", reason)
	return http.StatusSwitchingProtocols, reason
}

func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'):
		default:
			return false
		}
	}
	return true
}

func validExecID(s string) bool {
	return len(s) == 64 && strings.Trim(s, "0123456789abcdef") == ""
}

func (p *Proxy) acquire(s *session) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.sessions[s] = struct{}{}
	p.wg.Add(1)
	return true
}

func (p *Proxy) release(s *session) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.sessions, s)
	p.wg.Done()
}

// Sessions counts open sessions.
func (p *Proxy) Sessions() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.sessions)
}

// Close ends every session (clients see a "going away" close) and refuses
// new ones.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	for s := range p.sessions {
		s.shutdown(websocket.StatusGoingAway, "proxy shutting down")
	}
	p.mu.Unlock()
	p.wg.Wait()
}
