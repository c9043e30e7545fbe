package keystone

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Config says how to reach Keystone and which service account to use, like
// the [keystone_authtoken] section of an OpenStack service.
type Config struct {
	// AuthURL is Keystone's identity endpoint; "/v3" is appended when the
	// URL names no version. Required.
	AuthURL string
	// Username, Password and Project are the service account (required);
	// UserDomain and ProjectDomain are domain names (default "Default").
	Username      string
	Password      string
	Project       string
	UserDomain    string
	ProjectDomain string
	// CacheTTL bounds how long a validated token is trusted without
	// asking Keystone again (default 5 minutes, as keystonemiddleware's
	// token_cache_time): a revoked token stays usable that long.
	CacheTTL time.Duration
	// NegativeTTL is how long a rejected token is remembered (default 10
	// seconds), so a client retrying a bad token does not load Keystone.
	NegativeTTL time.Duration
	// CacheSize bounds the number of cached answers of each kind (default
	// 10000).
	CacheSize int
	// Timeout bounds one request to Keystone (default 10 seconds).
	Timeout time.Duration
	// HTTPClient replaces the default client (for a CA bundle).
	HTTPClient *http.Client
}

const (
	defaultCacheTTL    = 5 * time.Minute
	defaultNegativeTTL = 10 * time.Second
	defaultCacheSize   = 10000
	defaultTimeout     = 10 * time.Second
)

// withDefaults fills the optional fields and checks the required ones.
func (c Config) withDefaults() (Config, error) {
	var missing []string
	for name, v := range map[string]string{"auth URL": c.AuthURL, "username": c.Username,
		"password": c.Password, "project": c.Project} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return c, fmt.Errorf("keystone: missing %s", strings.Join(missing, ", "))
	}
	u, err := v3URL(c.AuthURL)
	if err != nil {
		return c, err
	}
	c.AuthURL = u
	if c.UserDomain == "" {
		c.UserDomain = "Default"
	}
	if c.ProjectDomain == "" {
		c.ProjectDomain = "Default"
	}
	if c.CacheTTL < 0 || c.NegativeTTL < 0 || c.CacheSize < 0 || c.Timeout < 0 {
		return c, errors.New("keystone: cache TTLs, cache size and timeout must not be negative")
	}
	if c.CacheTTL == 0 {
		c.CacheTTL = defaultCacheTTL
	}
	if c.NegativeTTL == 0 {
		c.NegativeTTL = defaultNegativeTTL
	}
	if c.CacheSize == 0 {
		c.CacheSize = defaultCacheSize
	}
	if c.Timeout == 0 {
		c.Timeout = defaultTimeout
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	return c, nil
}

// v3URL normalises an auth URL to its /v3 root.
func v3URL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("keystone: invalid auth URL %q", raw)
	}
	p := strings.TrimRight(u.Path, "/")
	switch {
	case strings.HasSuffix(p, "/v3"):
	case strings.HasSuffix(p, "/v2.0"):
		return "", fmt.Errorf("keystone: auth URL %q: only identity v3 is supported", raw)
	default:
		p += "/v3"
	}
	u.Path, u.RawQuery, u.Fragment = p, "", ""
	return u.String(), nil
}
