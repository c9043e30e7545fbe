package identity

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/openzun/zun/internal/errdefs"
)

// Defaults of Config.
const (
	DefaultTokenTTL = time.Hour
	DefaultRegion   = "RegionOne"

	// DefaultDomainID and DefaultDomainName name the one domain every
	// project and user belongs to.
	DefaultDomainID   = "default"
	DefaultDomainName = "Default"

	// Role names created by Bootstrap.
	RoleAdmin  = "admin"
	RoleMember = "member"
	RoleReader = "reader"

	// ServiceProject is the project Bootstrap creates for service users.
	ServiceProject = "service"

	maxTokenTTL = 7 * 24 * time.Hour
)

// CatalogEntry is one service of the catalog; it is published with a
// public, an internal and an admin endpoint, all at URL.
type CatalogEntry struct {
	Type string // e.g. "container"
	Name string // e.g. "zun"
	URL  string // e.g. "http://127.0.0.1:9517/v1"
}

// Config configures the identity service.
type Config struct {
	// KeyFile is the path of the Ed25519 signing key (PKCS#8 PEM). It is
	// created with mode 0600 if missing; an existing file readable by
	// group or others is refused.
	KeyFile string
	// TokenTTL is the lifetime of an issued token (default 1h).
	TokenTTL time.Duration
	// PublicURL is where the service is reachable, without version, e.g.
	// http://127.0.0.1:9517/identity.
	PublicURL string
	// Region of every catalog endpoint (default RegionOne).
	Region string
	// Catalog lists the other services; identity adds itself. Services
	// can also be added later with Service.RegisterService.
	Catalog []CatalogEntry
	// Refresh bounds how stale the key set and the revocation list of the
	// verifier may be (default DefaultRefresh): a token revoked by another
	// process is refused within this time, by this one at once.
	Refresh time.Duration
}

// BootstrapConfig names the initial admin account.
type BootstrapConfig struct {
	AdminUser     string
	AdminPassword string
	AdminProject  string
}

func (c Config) withDefaults() (Config, error) {
	if c.KeyFile == "" {
		return c, fmt.Errorf("identity: key file is required: %w", errdefs.ErrInvalidArgument)
	}
	if c.TokenTTL == 0 {
		c.TokenTTL = DefaultTokenTTL
	}
	if c.TokenTTL < time.Second || c.TokenTTL > maxTokenTTL {
		return c, fmt.Errorf("identity: token ttl %s out of range [1s, %s]: %w", c.TokenTTL, maxTokenTTL, errdefs.ErrInvalidArgument)
	}
	if c.Refresh == 0 {
		c.Refresh = DefaultRefresh
	}
	if c.Refresh < 0 || c.Refresh > time.Minute {
		return c, fmt.Errorf("identity: refresh %s out of range (0, 1m]: %w", c.Refresh, errdefs.ErrInvalidArgument)
	}
	if c.Region == "" {
		c.Region = DefaultRegion
	}
	pub, err := checkURL(c.PublicURL)
	if err != nil {
		return c, fmt.Errorf("identity: public url: %w", err)
	}
	c.PublicURL = pub
	entries := make([]CatalogEntry, 0, len(c.Catalog)+1)
	hasIdentity := false
	for _, e := range c.Catalog {
		if e.Type == "" {
			return c, fmt.Errorf("identity: catalog entry %q has no type: %w", e.Name, errdefs.ErrInvalidArgument)
		}
		u, err := checkURL(e.URL)
		if err != nil {
			return c, fmt.Errorf("identity: catalog entry %q: %w", e.Type, err)
		}
		e.URL = u
		if e.Name == "" {
			e.Name = e.Type
		}
		hasIdentity = hasIdentity || e.Type == "identity"
		entries = append(entries, e)
	}
	if !hasIdentity {
		entries = append(entries, CatalogEntry{Type: "identity", Name: "keystone", URL: c.PublicURL})
	}
	c.Catalog = entries
	return c, nil
}

// checkURL requires an absolute http(s) URL and drops a trailing slash.
func checkURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("parse %q: %w", raw, errdefs.ErrInvalidArgument)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an absolute http(s) url: %w", raw, errdefs.ErrInvalidArgument)
	}
	return strings.TrimRight(raw, "/"), nil
}
