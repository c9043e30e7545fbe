package client

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/goccy/go-yaml"
)

// ErrCloudNotFound is returned by LoadCloud when no clouds.yaml names the
// requested cloud.
var ErrCloudNotFound = errors.New("cloud not found in clouds.yaml")

// CloudsPaths returns the clouds.yaml search path in priority order:
// $OS_CLIENT_CONFIG_FILE, ./clouds.yaml, ~/.config/openstack/clouds.yaml,
// /etc/openstack/clouds.yaml.
func CloudsPaths(getenv func(string) string) []string {
	var paths []string
	if f := getenv("OS_CLIENT_CONFIG_FILE"); f != "" {
		paths = append(paths, f)
	}
	paths = append(paths, "clouds.yaml")
	if home := getenv("HOME"); home != "" {
		paths = append(paths, filepath.Join(home, ".config", "openstack", "clouds.yaml"))
	} else if home, err := os.UserHomeDir(); err == nil {
		paths = append(paths, filepath.Join(home, ".config", "openstack", "clouds.yaml"))
	}
	return append(paths, "/etc/openstack/clouds.yaml")
}

type cloudsFile struct {
	Clouds map[string]cloudEntry `yaml:"clouds"`
}

type cloudEntry struct {
	Auth struct {
		AuthURL           string `yaml:"auth_url"`
		Username          string `yaml:"username"`
		UserID            string `yaml:"user_id"`
		Password          string `yaml:"password"`
		ProjectName       string `yaml:"project_name"`
		ProjectID         string `yaml:"project_id"`
		TenantName        string `yaml:"tenant_name"`
		TenantID          string `yaml:"tenant_id"`
		UserDomainName    string `yaml:"user_domain_name"`
		UserDomainID      string `yaml:"user_domain_id"`
		ProjectDomainName string `yaml:"project_domain_name"`
		ProjectDomainID   string `yaml:"project_domain_id"`
		DomainName        string `yaml:"domain_name"`
		DomainID          string `yaml:"domain_id"`
		Token             string `yaml:"token"`
		Endpoint          string `yaml:"endpoint"`
	} `yaml:"auth"`
	AuthType             string `yaml:"auth_type"`
	RegionName           string `yaml:"region_name"`
	Interface            string `yaml:"interface"`
	EndpointType         string `yaml:"endpoint_type"`
	CACert               string `yaml:"cacert"`
	Verify               scalar `yaml:"verify"`
	Insecure             scalar `yaml:"insecure"`
	ContainerAPIVersion  scalar `yaml:"container_api_version"`
	ContainerEndpoint    string `yaml:"container_endpoint"`
	ContainerEndpointOvr string `yaml:"container_endpoint_override"`
}

// LoadCloud reads the named cloud from the first clouds.yaml of paths that
// defines it (see CloudsPaths). Missing files are skipped.
func LoadCloud(name string, paths []string) (Config, error) {
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return Config{}, fmt.Errorf("failed to read %s: %w", p, err)
		}
		var f cloudsFile
		if err := yaml.Unmarshal(b, &f); err != nil {
			return Config{}, fmt.Errorf("failed to parse %s: %w", p, err)
		}
		e, ok := f.Clouds[name]
		if !ok {
			continue
		}
		c, err := e.config()
		if err != nil {
			return Config{}, fmt.Errorf("cloud %q in %s: %w", name, p, err)
		}
		return c, nil
	}
	return Config{}, fmt.Errorf("%q: %w", name, ErrCloudNotFound)
}

func (e cloudEntry) config() (Config, error) {
	a := e.Auth
	c := Config{
		AuthType:          e.AuthType,
		AuthURL:           a.AuthURL,
		Username:          a.Username,
		UserID:            a.UserID,
		Password:          a.Password,
		UserDomainName:    first(a.UserDomainName, a.DomainName),
		UserDomainID:      first(a.UserDomainID, a.DomainID),
		ProjectName:       first(a.ProjectName, a.TenantName),
		ProjectID:         first(a.ProjectID, a.TenantID),
		ProjectDomainName: first(a.ProjectDomainName, a.DomainName),
		ProjectDomainID:   first(a.ProjectDomainID, a.DomainID),
		Token:             a.Token,
		Endpoint:          first(e.ContainerEndpointOvr, e.ContainerEndpoint, a.Endpoint),
		RegionName:        e.RegionName,
		Interface:         first(e.Interface, e.EndpointType),
		CACert:            e.CACert,
	}
	c.APIVersion = string(e.ContainerAPIVersion)
	// verify: false, or a CA bundle path; insecure: true.
	if v := string(e.Verify); v != "" {
		if b, err := parseBool(v); err == nil {
			c.Insecure = !b
		} else {
			c.CACert = v
		}
	}
	if v := string(e.Insecure); v != "" {
		b, err := parseBool(v)
		if err != nil {
			return Config{}, fmt.Errorf("insecure: %w", err)
		}
		c.Insecure = c.Insecure || b
	}
	return c, nil
}

// scalar keeps the literal text of a YAML scalar, so that an unquoted
// "container_api_version: 1.40" is not read as the float 1.4.
type scalar string

// UnmarshalYAML implements yaml.BytesUnmarshaler.
func (s *scalar) UnmarshalYAML(b []byte) error {
	t := strings.TrimSpace(string(b))
	if strings.HasPrefix(t, `"`) || strings.HasPrefix(t, "'") {
		var v string
		if err := yaml.Unmarshal(b, &v); err != nil {
			return fmt.Errorf("failed to parse scalar %s: %w", t, err)
		}
		t = v
	}
	if t == "null" || t == "~" {
		t = ""
	}
	*s = scalar(t)
	return nil
}
