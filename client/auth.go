package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/openzun/zun/api"
)

// refreshMargin is how long before expires_at a cached token is renewed.
const refreshMargin = time.Minute

// authenticator yields the token and endpoint of each request.
type authenticator interface {
	// Session returns a valid token ("" when no auth is used) and the
	// container endpoint URL.
	Session(ctx context.Context) (token, endpoint string, err error)
	// Invalidate drops token after a 401; it reports whether a retry can
	// obtain a different one.
	Invalidate(token string) bool
}

// staticAuth sends a fixed token (or none) to a fixed endpoint.
type staticAuth struct {
	token, endpoint string
}

func (a *staticAuth) Session(context.Context) (string, string, error) {
	return a.token, a.endpoint, nil
}
func (a *staticAuth) Invalidate(string) bool { return false }

// keystoneAuth obtains tokens from Keystone v3 and caches them until
// shortly before they expire.
type keystoneAuth struct {
	http     *http.Client
	authURL  string // ends with /v3
	body     []byte // the POST /auth/tokens request
	override string // endpoint override, or "" for the catalog
	// reuse is a pre-issued token used as it is (token auth without a
	// scope): Keystone is asked for its catalog and expiry, since
	// re-authenticating with it would give an unscoped token without one.
	reuse  string
	iface  string
	region string
	now    func() time.Time

	mu       sync.Mutex
	token    string
	expires  time.Time
	endpoint string
}

var versionSuffix = regexp.MustCompile(`/v(\d+)(\.\d+)?/?$`)

// identityURL normalises auth_url to its /v3 root.
func identityURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("invalid auth URL %q", raw)
	}
	p := strings.TrimRight(u.Path, "/")
	if m := versionSuffix.FindStringSubmatch(p); m != nil {
		if m[1] != "3" {
			return "", fmt.Errorf("auth URL %q: only identity v3 is supported", raw)
		}
	} else {
		p += "/v3"
	}
	u.Path = p
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}

func newKeystoneAuth(cfg Config, method string, hc *http.Client) (*keystoneAuth, error) {
	base, err := identityURL(cfg.AuthURL)
	if err != nil {
		return nil, err
	}
	var body []byte
	var reuse string
	if method == AuthToken && cfg.ProjectID == "" && cfg.ProjectName == "" {
		if reuse = cfg.Token; reuse == "" {
			return nil, errors.New("a token is required: set OS_TOKEN, --os-token or clouds.yaml auth.token")
		}
	} else if body, err = authRequest(cfg, method); err != nil {
		return nil, err
	}
	iface := strings.TrimSuffix(strings.ToLower(first(cfg.Interface, "public")), "url")
	switch iface {
	case "public", "internal", "admin":
	default:
		return nil, fmt.Errorf("invalid interface %q: want public, internal or admin", cfg.Interface)
	}
	return &keystoneAuth{
		http: hc, authURL: base, body: body, reuse: reuse, override: cfg.Endpoint,
		iface: iface, region: cfg.RegionName, now: time.Now,
	}, nil
}

type idName struct {
	ID     string  `json:"id,omitempty"`
	Name   string  `json:"name,omitempty"`
	Domain *idName `json:"domain,omitempty"`
}

func domainOf(id, name string) *idName {
	if id == "" && name == "" {
		id = "default"
	}
	return &idName{ID: id, Name: name}
}

// authRequest builds the body of POST /v3/auth/tokens.
func authRequest(cfg Config, method string) ([]byte, error) {
	identity := map[string]any{"methods": []string{method}}
	switch method {
	case "password":
		if cfg.Password == "" {
			return nil, errors.New("a password is required: set OS_PASSWORD, --os-password or clouds.yaml auth.password")
		}
		user := &idName{ID: cfg.UserID}
		if cfg.UserID == "" {
			if cfg.Username == "" {
				return nil, errors.New("a user name or ID is required: set OS_USERNAME, --os-username or clouds.yaml auth.username")
			}
			user.Name = cfg.Username
			user.Domain = domainOf(cfg.UserDomainID, cfg.UserDomainName)
		}
		identity["password"] = map[string]any{"user": struct {
			*idName
			Password string `json:"password"`
		}{user, cfg.Password}}
	case "token":
		identity["token"] = map[string]string{"id": cfg.Token}
	}
	auth := map[string]any{"identity": identity}
	switch {
	case cfg.ProjectID != "":
		auth["scope"] = map[string]any{"project": idName{ID: cfg.ProjectID}}
	case cfg.ProjectName != "":
		auth["scope"] = map[string]any{"project": idName{
			Name: cfg.ProjectName, Domain: domainOf(cfg.ProjectDomainID, cfg.ProjectDomainName)}}
	}
	b, err := json.Marshal(map[string]any{"auth": auth})
	if err != nil {
		return nil, fmt.Errorf("failed to encode auth request: %w", err)
	}
	return b, nil
}

type tokenResponse struct {
	Token struct {
		ExpiresAt string `json:"expires_at"`
		Catalog   []struct {
			Type      string `json:"type"`
			Name      string `json:"name"`
			Endpoints []struct {
				Interface string `json:"interface"`
				Region    string `json:"region"`
				RegionID  string `json:"region_id"`
				URL       string `json:"url"`
			} `json:"endpoints"`
		} `json:"catalog"`
	} `json:"token"`
}

func (a *keystoneAuth) Session(ctx context.Context) (string, string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.ensure(ctx); err != nil {
		return "", "", err
	}
	return a.token, a.endpoint, nil
}

func (a *keystoneAuth) Invalidate(token string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.token == token {
		a.token = ""
	}
	// A reused token cannot be replaced by another one.
	return a.reuse == ""
}

// ensure authenticates when no valid token is cached; a.mu is held.
func (a *keystoneAuth) ensure(ctx context.Context) error {
	if a.token != "" && (a.expires.IsZero() || a.now().Add(refreshMargin).Before(a.expires)) {
		return nil
	}
	req, err := a.authRequest(ctx)
	if err != nil {
		return err
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return fmt.Errorf("failed to authenticate at %s: %w", a.authURL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("failed to read auth response: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return decodeError(resp, b)
	}
	tok := a.reuse
	if tok == "" {
		tok = resp.Header.Get("X-Subject-Token")
	}
	if tok == "" {
		return errors.New("failed to authenticate: keystone returned no X-Subject-Token")
	}
	var tr tokenResponse
	if err := json.Unmarshal(b, &tr); err != nil {
		return fmt.Errorf("failed to decode auth response: %w", err)
	}
	endpoint := a.override
	if endpoint == "" {
		if endpoint, err = a.pick(tr); err != nil {
			return err
		}
	}
	var exp time.Time
	if tr.Token.ExpiresAt != "" {
		var t api.Time
		if err := t.UnmarshalJSON([]byte(`"` + tr.Token.ExpiresAt + `"`)); err != nil {
			return fmt.Errorf("failed to parse token expiry: %w", err)
		}
		exp = t.Time
	}
	a.token, a.expires, a.endpoint = tok, exp, endpoint
	return nil
}

// authRequest is POST /auth/tokens with the credentials, or, for a reused
// token, GET /auth/tokens of the token by itself (Keystone lets a token
// validate itself) for its catalog.
func (a *keystoneAuth) authRequest(ctx context.Context) (*http.Request, error) {
	var req *http.Request
	var err error
	if a.reuse != "" {
		if a.token == "" && !a.expires.IsZero() {
			return nil, errors.New("the token (OS_TOKEN) was refused or has expired")
		}
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, a.authURL+"/auth/tokens", nil)
		if err == nil {
			req.Header.Set("X-Auth-Token", a.reuse)
			req.Header.Set("X-Subject-Token", a.reuse)
		}
	} else {
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, a.authURL+"/auth/tokens", bytes.NewReader(a.body))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("failed to build auth request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// pick returns the container endpoint of the catalog for the configured
// interface and region.
func (a *keystoneAuth) pick(tr tokenResponse) (string, error) {
	for _, s := range tr.Token.Catalog {
		if s.Type != api.ServiceType {
			continue
		}
		for _, e := range s.Endpoints {
			if e.Interface != a.iface {
				continue
			}
			if a.region != "" && e.RegionID != a.region && e.Region != a.region {
				continue
			}
			return e.URL, nil
		}
	}
	where := a.iface
	if a.region != "" {
		where += " in region " + a.region
	}
	return "", fmt.Errorf("no %q endpoint (%s) in the service catalog; is the token project-scoped?", api.ServiceType, where)
}
