package keystone

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/zunctx"
)

const (
	// maxResponse bounds a Keystone answer read into memory (a token
	// without catalog is a few kilobytes).
	maxResponse = 1 << 20
	// maxToken bounds the tokens sent to Keystone (Fernet tokens are
	// about 200 bytes, PKI-era ones a few kilobytes).
	maxToken = 8 << 10
)

// Validator validates user tokens against Keystone. It is safe for
// concurrent use; build it with New.
type Validator struct {
	cfg Config
	log *slog.Logger
	now func() time.Time

	svc      serviceToken
	valid    *cache
	rejected *cache
	flight   flight
}

var errInvalid = fmt.Errorf("the token is not valid: %w", errdefs.ErrUnauthorized)

// New returns a Validator for cfg. It does not contact Keystone: the
// service token is fetched by the first validation (or by Check).
func New(cfg Config, log *slog.Logger) (*Validator, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Validator{
		cfg: cfg, log: log, now: time.Now,
		valid: newCache(cfg.CacheSize), rejected: newCache(cfg.CacheSize),
	}, nil
}

// Check logs in with the service credentials, so that a wrong password or
// an unreachable Keystone shows at start-up.
func (v *Validator) Check(ctx context.Context) error {
	_, err := v.serviceToken(ctx)
	return err
}

// Validate implements identity.Validator: it returns the caller a token
// authenticates, with the names and roles Keystone gave, and the token's
// expiry.
func (v *Validator) Validate(ctx context.Context, token string) (zunctx.Identity, time.Time, error) {
	if !wellFormed(token) {
		return zunctx.Identity{}, time.Time{}, errInvalid
	}
	k := keyOf(token)
	now := v.now()
	if a, ok := v.valid.get(k, now); ok {
		return a.result()
	}
	if a, ok := v.rejected.get(k, now); ok {
		return a.result()
	}
	a, err := v.flight.do(ctx, k, func() (answer, error) { return v.ask(token, k) })
	if err != nil {
		if ctx.Err() != nil {
			return zunctx.Identity{}, time.Time{}, fmt.Errorf("keystone: %w: %w", errdefs.ErrUnavailable, ctx.Err())
		}
		return zunctx.Identity{}, time.Time{}, err
	}
	return a.result()
}

func (a answer) result() (zunctx.Identity, time.Time, error) {
	if a.err != nil {
		return zunctx.Identity{}, time.Time{}, a.err
	}
	id := a.id
	id.Roles = append([]string(nil), a.id.Roles...)
	return id, a.expires, nil
}

// wellFormed rejects what cannot be a token before it reaches a header:
// empty, oversized, or holding spaces or control characters.
func wellFormed(token string) bool {
	if token == "" || len(token) > maxToken {
		return false
	}
	for i := 0; i < len(token); i++ {
		if c := token[i]; c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// ask validates token with Keystone and caches the answer. It runs once
// per token however many requests wait for it, detached from their
// contexts. The error is non-nil only when Keystone could not answer.
func (v *Validator) ask(token string, k tokenKey) (answer, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*v.cfg.Timeout)
	defer cancel()
	for attempt := 0; ; attempt++ {
		svc, err := v.serviceToken(ctx)
		if err != nil {
			return answer{}, err
		}
		a, err := v.fetch(ctx, svc, token)
		if errors.Is(err, errServiceTokenRefused) && attempt == 0 {
			v.dropServiceToken(svc)
			continue
		}
		if err != nil {
			return answer{}, err
		}
		now := v.now()
		if a.err != nil {
			v.rejected.put(k, a, now.Add(v.cfg.NegativeTTL), now)
			return a, nil
		}
		if !now.Before(a.expires) {
			// Keystone's clock and ours disagree; ours decides.
			return answer{err: errInvalid}, nil
		}
		v.valid.put(k, a, minTime(a.expires, now.Add(v.cfg.CacheTTL)), now)
		return a, nil
	}
}

var errServiceTokenRefused = errors.New("keystone refused the service token")

type tokenResponse struct {
	Token struct {
		ExpiresAt string `json:"expires_at"`
		User      struct {
			ID     string `json:"id"`
			Name   string `json:"name"`
			Domain idName `json:"domain"`
		} `json:"user"`
		Project *struct {
			ID     string `json:"id"`
			Name   string `json:"name"`
			Domain idName `json:"domain"`
		} `json:"project"`
		Roles []idName `json:"roles"`
	} `json:"token"`
}

type idName struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// fetch asks Keystone about token with the service token svc.
func (v *Validator) fetch(ctx context.Context, svc, token string) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.cfg.AuthURL+"/auth/tokens?nocatalog", nil)
	if err != nil {
		return answer{}, fmt.Errorf("keystone: failed to build validation request: %w", err)
	}
	req.Header.Set("X-Auth-Token", svc)
	req.Header.Set("X-Subject-Token", token)
	req.Header.Set("Accept", "application/json")
	resp, err := v.cfg.HTTPClient.Do(req)
	if err != nil {
		v.log.Warn("keystone unreachable", "auth_url", v.cfg.AuthURL, "error", err)
		return answer{}, fmt.Errorf("keystone: failed to reach %s: %w: %w", v.cfg.AuthURL, errdefs.ErrUnavailable, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return answer{}, fmt.Errorf("keystone: failed to read validation response: %w: %w", errdefs.ErrUnavailable, err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusBadRequest:
		// Unknown, expired, revoked or malformed.
		return answer{err: errInvalid}, nil
	case http.StatusUnauthorized:
		return answer{}, errServiceTokenRefused
	case http.StatusForbidden:
		v.log.Error("keystone forbids the service user to validate tokens: give it the admin or service role",
			"user", v.cfg.Username, "project", v.cfg.Project)
		return answer{}, fmt.Errorf("keystone: token validation forbidden for %q: %w", v.cfg.Username, errdefs.ErrUnavailable)
	default:
		v.log.Warn("keystone failed to validate a token", "status", resp.StatusCode)
		return answer{}, fmt.Errorf("keystone: validation answered %d: %w", resp.StatusCode, errdefs.ErrUnavailable)
	}
	var tr tokenResponse
	if err := json.Unmarshal(b, &tr); err != nil {
		return answer{}, fmt.Errorf("keystone: malformed validation response: %w: %w", errdefs.ErrUnavailable, err)
	}
	exp, err := parseTime(tr.Token.ExpiresAt)
	if err != nil {
		return answer{}, fmt.Errorf("keystone: validation response: %w: %w", errdefs.ErrUnavailable, err)
	}
	t := tr.Token
	id := zunctx.Identity{UserID: t.User.ID, UserName: t.User.Name, DomainID: t.User.Domain.ID, Roles: []string{}}
	if t.Project != nil {
		id.ProjectID, id.ProjectName, id.DomainID = t.Project.ID, t.Project.Name, t.Project.Domain.ID
	}
	for _, r := range t.Roles {
		id.Roles = append(id.Roles, r.Name)
	}
	if id.UserID == "" {
		return answer{}, fmt.Errorf("keystone: validation response without user: %w", errdefs.ErrUnavailable)
	}
	return answer{id: id, expires: exp}, nil
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad expires_at %q", s)
	}
	return t, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
