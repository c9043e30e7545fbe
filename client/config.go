package client

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/openzun/zun/api"
)

// Auth types accepted in Config.AuthType (clouds.yaml "auth_type").
const (
	AuthPassword = "password"
	AuthToken    = "token"
	AuthNone     = "none"
)

// DefaultAPIVersion is the microversion sent when none is configured.
var DefaultAPIVersion = api.MaxVersion.String()

// Config says how to reach and authenticate to the Zun API. The zero value
// of every field means "not set", so configs from several sources can be
// layered with Merge.
type Config struct {
	// AuthType is password, token or none. When empty it is inferred:
	// token if Token is set, none if only Endpoint is set, else password.
	AuthType string

	// AuthURL is the Keystone URL, e.g. http://127.0.0.1:9517/identity/v3;
	// "/v3" is appended when the URL carries no version.
	AuthURL string

	Username          string
	UserID            string
	Password          string
	UserDomainName    string
	UserDomainID      string
	ProjectName       string
	ProjectID         string
	ProjectDomainName string
	ProjectDomainID   string

	// Token is a pre-issued Keystone token. With AuthURL it is re-scoped
	// through Keystone (token method); without, Endpoint is required.
	Token string

	// Endpoint overrides the container endpoint of the catalog, e.g.
	// http://127.0.0.1:9517/v1.
	Endpoint string

	// RegionName and Interface select the catalog endpoint
	// (Interface defaults to public).
	RegionName string
	Interface  string

	// APIVersion is the microversion, "1.40" or "latest"; default 1.40.
	APIVersion string

	// CACert is a PEM bundle used to verify the servers; Insecure skips
	// verification.
	CACert   string
	Insecure bool

	// Timeout bounds one HTTP exchange; default 2 minutes.
	Timeout time.Duration

	// HTTPClient replaces the client built from CACert/Insecure/Timeout.
	HTTPClient *http.Client

	// Logger receives debug records of every request; nil discards.
	Logger *slog.Logger

	// UserAgent is sent as User-Agent; default "zun-go-client".
	UserAgent string
}

// Merge returns c overlaid with every non-zero field of o.
func (c Config) Merge(o Config) Config {
	str := func(dst *string, src string) {
		if src != "" {
			*dst = src
		}
	}
	str(&c.AuthType, o.AuthType)
	str(&c.AuthURL, o.AuthURL)
	str(&c.Username, o.Username)
	str(&c.UserID, o.UserID)
	str(&c.Password, o.Password)
	str(&c.UserDomainName, o.UserDomainName)
	str(&c.UserDomainID, o.UserDomainID)
	str(&c.ProjectName, o.ProjectName)
	str(&c.ProjectID, o.ProjectID)
	str(&c.ProjectDomainName, o.ProjectDomainName)
	str(&c.ProjectDomainID, o.ProjectDomainID)
	str(&c.Token, o.Token)
	str(&c.Endpoint, o.Endpoint)
	str(&c.RegionName, o.RegionName)
	str(&c.Interface, o.Interface)
	str(&c.APIVersion, o.APIVersion)
	str(&c.CACert, o.CACert)
	str(&c.UserAgent, o.UserAgent)
	if o.Insecure {
		c.Insecure = true
	}
	if o.Timeout != 0 {
		c.Timeout = o.Timeout
	}
	if o.HTTPClient != nil {
		c.HTTPClient = o.HTTPClient
	}
	if o.Logger != nil {
		c.Logger = o.Logger
	}
	return c
}

// ConfigFromEnv reads the OS_* variables through getenv (os.Getenv in
// programs, a map in tests).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		AuthType:          getenv("OS_AUTH_TYPE"),
		AuthURL:           getenv("OS_AUTH_URL"),
		Username:          getenv("OS_USERNAME"),
		UserID:            getenv("OS_USER_ID"),
		Password:          getenv("OS_PASSWORD"),
		UserDomainName:    getenv("OS_USER_DOMAIN_NAME"),
		UserDomainID:      getenv("OS_USER_DOMAIN_ID"),
		ProjectName:       first(getenv("OS_PROJECT_NAME"), getenv("OS_TENANT_NAME")),
		ProjectID:         first(getenv("OS_PROJECT_ID"), getenv("OS_TENANT_ID")),
		ProjectDomainName: getenv("OS_PROJECT_DOMAIN_NAME"),
		ProjectDomainID:   getenv("OS_PROJECT_DOMAIN_ID"),
		Token:             getenv("OS_TOKEN"),
		Endpoint:          first(getenv("OS_ENDPOINT"), getenv("OS_CONTAINER_ENDPOINT")),
		RegionName:        getenv("OS_REGION_NAME"),
		Interface:         first(getenv("OS_INTERFACE"), getenv("OS_ENDPOINT_TYPE")),
		APIVersion:        getenv("OS_CONTAINER_API_VERSION"),
		CACert:            getenv("OS_CACERT"),
	}
	if v := getenv("OS_INSECURE"); v != "" {
		b, err := parseBool(v)
		if err != nil {
			return Config{}, fmt.Errorf("failed to parse OS_INSECURE: %w", err)
		}
		c.Insecure = b
	}
	return c, nil
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "t", "true", "yes", "y", "on":
		return true, nil
	case "0", "f", "false", "no", "n", "off", "":
		return false, nil
	}
	return false, fmt.Errorf("invalid boolean %q", s)
}

// authType resolves the effective authentication method.
func (c Config) authType() (string, error) {
	t := strings.ToLower(c.AuthType)
	switch t {
	case "":
		switch {
		case c.Token != "":
			return AuthToken, nil
		case c.Endpoint != "" && c.AuthURL == "":
			return AuthNone, nil
		default:
			return AuthPassword, nil
		}
	case "password", "v3password":
		return AuthPassword, nil
	case "token", "v3token", "admin_token":
		return AuthToken, nil
	case "none", "noauth":
		return AuthNone, nil
	}
	return "", fmt.Errorf("unsupported auth type %q", c.AuthType)
}

// apiVersion resolves the microversion: the header value and the version
// the client assumes when shaping requests.
func (c Config) apiVersion() (string, api.Version, error) {
	s := strings.TrimSpace(c.APIVersion)
	if s == "" {
		s = DefaultAPIVersion
	}
	if l := strings.ToLower(s); l == "latest" || l == "1.latest" {
		return "latest", api.MaxVersion, nil
	}
	if _, err := strconv.Atoi(s); err == nil {
		s += ".0"
	}
	v, err := api.ParseVersion(s)
	if err != nil {
		return "", api.Version{}, fmt.Errorf("container API version %q: %w", c.APIVersion, err)
	}
	return v.String(), v, nil
}
