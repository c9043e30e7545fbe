// Package config is the one typed configuration of the zun services,
// layered in a fixed order: Default(), then a YAML file (keys equal to flag
// names), then ZUN_* environment variables, then command-line flags, then
// Validate().
package config

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
)

// Config holds every setting of zun-api and zun-compute.
type Config struct {
	AllInOne bool
	// DataDir holds the SQLite database, keys and generated credentials.
	DataDir string
	// Listen is the API's address; PublicURL the base URL clients use
	// (default http://<Listen>).
	Listen    string
	PublicURL string
	// Database is "" (SQLite in DataDir), sqlite:///path or postgres://...
	Database string
	// NATSURL is the external bus ("nats://h:4222,nats://h2:4222"); empty in
	// the all-in-one, which embeds a server.
	NATSURL      string
	NATSUser     string
	NATSPassword string
	// NATSListen makes the embedded server listen on TCP (host:port) so
	// other compute agents can join the all-in-one; empty keeps it
	// in-process only.
	NATSListen string
	// Host is the compute agent's host name (default: os.Hostname).
	Host             string
	AvailabilityZone string
	DockerHost       string
	// AgentNetwork is the compute agent's data plane (agentnet.go).
	AgentNetwork AgentNetworkConfig
	// EmbeddedCompute runs a compute agent inside the all-in-one (default
	// true); with false, agents join over NATSListen.
	EmbeddedCompute bool
	// Driver is the container driver: "docker", or "fake" (in-memory, for
	// scheduler and scale tests).
	Driver string
	// Allocation ratios and reserved host memory (MiB) reported by agents.
	CPUAllocationRatio float64
	RAMAllocationRatio float64
	ReservedHostMemory int64
	// Scheduler.
	Weigher string
	// Networking is "tenant" (containers on the network service's tenant
	// networks) or "none" (Docker's default bridge, no ports: the fake
	// driver's scale and scheduler benchmarks).
	Networking string
	// Compute periodic tasks.
	SyncInterval      time.Duration
	HeartbeatInterval time.Duration
	ServiceDownTime   time.Duration
	// AdminPassword bootstraps the admin user on first start; empty
	// generates one into DataDir/admin-password.
	AdminPassword string
	TokenTTL      time.Duration
	// Only runs a single part of zun-api: "" (everything) or "identity"
	// (the identity service alone, against the same database).
	Only string
	// RotateIdentityKey replaces the token signing key and exits; tokens
	// of the previous key stay valid until they expire.
	RotateIdentityKey bool
	// CatalogURLs are the endpoints of the other services of the cloud
	// published in the identity catalog (network, volume, image), as
	// type=url pairs separated by commas.
	CatalogURLs string
	// AuthStrategy is "embedded" (zun-api's own identity service at
	// /identity) or "keystone" (tokens validated by an external Keystone
	// with the Keystone* service credentials; no /identity).
	AuthStrategy string
	Keystone     KeystoneConfig
	LogLevel     string
	// PolicyFile is an oslo.policy-style YAML or JSON file overriding the
	// default policy rules; empty keeps the defaults.
	PolicyFile string
	// PolicyDump prints the effective policy rules as YAML and exits.
	PolicyDump bool
	// Websocket proxy (zun-wsproxy, and the all-in-one's own listener).
	// WSProxyListen is its address; WSProxyURL the base URL handed to
	// clients (default ws://<WSProxyListen>/); WSProxyAllowedOrigins the
	// comma-separated extra browser origins allowed besides the base URL's
	// own.
	WSProxyListen         string
	WSProxyURL            string
	WSProxyAllowedOrigins string
	// ConsoleSecretFile holds the shared secret of the proxy-agent link
	// (default <data-dir>/console-secret; the all-in-one creates it).
	ConsoleSecretFile string
	// ConsoleListen and ConsoleAdvertise: the agent's console link address
	// and the address the proxy dials (default: the bound one).
	ConsoleListen    string
	ConsoleAdvertise string
	// Session bounds.
	ConsoleTokenTTL             time.Duration
	ConsoleIdleTimeout          time.Duration
	ConsoleMaxSessionsUser      int64
	ConsoleMaxSessionsContainer int64
	// MaxCopySize caps one streamed copy (zun cp) in MiB, at zun-api and
	// at the agent.
	MaxCopySize int64
	// Images: MaxImageSize caps an upload to the image service (MiB); the
	// image GC of each compute host runs every ImageGCInterval (0: off) and
	// removes images Zun brought to the host that no container uses, once
	// unused for ImageGCMinAge, or sooner (least recently used first) while
	// the engine's disk is above ImageGCHighPercent, down to
	// ImageGCLowPercent. ImageGCPinned (comma separated references) are
	// never removed.
	MaxImageSize       int64
	ImageGCInterval    time.Duration
	ImageGCMinAge      time.Duration
	ImageGCHighPercent int64
	ImageGCLowPercent  int64
	ImageGCPinned      string
	// ConfigFile is the YAML file read (default /etc/zun/zun.yaml if it
	// exists).
	ConfigFile string
}

// KeystoneConfig is the external Keystone of AuthStrategy "keystone", like
// the [keystone_authtoken] section of the Python services.
type KeystoneConfig struct {
	URL           string
	Username      string
	Password      string
	PasswordFile  string // read at start-up when Password is empty
	Project       string
	UserDomain    string
	ProjectDomain string
	CAFile        string
	CacheTTL      time.Duration
}

// Default returns the defaults.
func Default() Config {
	return Config{
		DataDir:            "/var/lib/zun",
		Listen:             "127.0.0.1:9517",
		AvailabilityZone:   "nova",
		EmbeddedCompute:    true,
		Driver:             "docker",
		CPUAllocationRatio: 16,
		RAMAllocationRatio: 1.5,
		ReservedHostMemory: 512,
		Weigher:            "spread",
		Networking:         "tenant",
		SyncInterval:       60 * time.Second,
		HeartbeatInterval:  10 * time.Second,
		ServiceDownTime:    180 * time.Second,
		TokenTTL:           time.Hour,
		LogLevel:           "info",
		AuthStrategy:       "embedded",
		Keystone: KeystoneConfig{Username: "zun", Project: "service", UserDomain: "Default", ProjectDomain: "Default",
			CacheTTL: 5 * time.Minute},

		WSProxyListen:               "127.0.0.1:6784",
		ConsoleListen:               "127.0.0.1:0",
		ConsoleTokenTTL:             30 * time.Second,
		ConsoleIdleTimeout:          10 * time.Minute,
		ConsoleMaxSessionsUser:      8,
		ConsoleMaxSessionsContainer: 4,
		MaxCopySize:                 1024,
		MaxImageSize:                2048,
		ImageGCInterval:             time.Hour,
		ImageGCMinAge:               24 * time.Hour,
		ImageGCHighPercent:          85,
		ImageGCLowPercent:           75,
		ImageGCPinned:               "busybox:1.35,kubernetes/pause:3.5",
	}
}

// field binds one setting to its flag, env and file names.
type field struct {
	name, usage string
	str         *string
	dur         *time.Duration
	b           *bool
	f           *float64
	i           *int64
}

func (c *Config) fields() []field {
	return append([]field{
		{name: "all-in-one", usage: "run API, scheduler, compute agent, embedded NATS, identity and SQLite in one process", b: &c.AllInOne},
		{name: "data-dir", usage: "directory of the database, keys and generated credentials", str: &c.DataDir},
		{name: "listen", usage: "API listen address host:port", str: &c.Listen},
		{name: "public-url", usage: "base URL clients use to reach the API (default http://<listen>)", str: &c.PublicURL},
		{name: "database", usage: "database URL: empty (SQLite in data-dir), sqlite:///path or postgres://...", str: &c.Database},
		{name: "nats-url", usage: "external NATS server URL(s), comma separated", str: &c.NATSURL},
		{name: "nats-user", usage: "NATS user", str: &c.NATSUser},
		{name: "nats-password", usage: "NATS password", str: &c.NATSPassword},
		{name: "nats-listen", usage: "all-in-one: let the embedded NATS listen on host:port for more agents", str: &c.NATSListen},
		{name: "host", usage: "compute host name (default: the machine's)", str: &c.Host},
		{name: "availability-zone", usage: "availability zone of this compute host", str: &c.AvailabilityZone},
		{name: "docker-host", usage: "Docker engine address (default $DOCKER_HOST or the local socket)", str: &c.DockerHost},
		{name: "embedded-compute", usage: "all-in-one: run a compute agent in the process", b: &c.EmbeddedCompute},
		{name: "driver", usage: "container driver: docker, or fake (in-memory, for scale tests)", str: &c.Driver},
		{name: "cpu-allocation-ratio", usage: "virtual CPU to physical CPU ratio of this compute host", f: &c.CPUAllocationRatio},
		{name: "ram-allocation-ratio", usage: "virtual RAM to physical RAM ratio of this compute host", f: &c.RAMAllocationRatio},
		{name: "reserved-host-memory", usage: "MiB of host memory kept for the host", i: &c.ReservedHostMemory},
		{name: "weigher", usage: "scheduler weigher: spread or binpack", str: &c.Weigher},
		{name: "networking", usage: "container networking: tenant (the network service's networks) or none (Docker's default bridge)", str: &c.Networking},
		{name: "sync-interval", usage: "period of the compute reconcile with the engine", dur: &c.SyncInterval},
		{name: "heartbeat-interval", usage: "period of compute heartbeats", dur: &c.HeartbeatInterval},
		{name: "service-down-time", usage: "a service without heartbeat for this long is down", dur: &c.ServiceDownTime},
		{name: "admin-password", usage: "bootstrap admin password (default: generated into data-dir)", str: &c.AdminPassword},
		{name: "token-ttl", usage: "lifetime of issued tokens", dur: &c.TokenTTL},
		{name: "only", usage: "run one part of zun-api alone: identity", str: &c.Only},
		{name: "rotate-identity-key", usage: "replace the identity token signing key and exit (old tokens stay valid until they expire)", b: &c.RotateIdentityKey},
		{name: "catalog-urls", usage: "endpoints of other services in the catalog, e.g. network=http://h:9696,image=http://h:9292", str: &c.CatalogURLs},
		{name: "auth-strategy", usage: "embedded (own identity service at /identity) or keystone (validate tokens with an external Keystone)", str: &c.AuthStrategy},
		{name: "keystone-url", usage: "auth-strategy keystone: identity URL, e.g. http://keystone:5000/v3", str: &c.Keystone.URL},
		{name: "keystone-username", usage: "auth-strategy keystone: service user (needs the admin or service role)", str: &c.Keystone.Username},
		{name: "keystone-password", usage: "auth-strategy keystone: service user's password (prefer keystone-password-file)", str: &c.Keystone.Password},
		{name: "keystone-password-file", usage: "auth-strategy keystone: file holding the service user's password", str: &c.Keystone.PasswordFile},
		{name: "keystone-project", usage: "auth-strategy keystone: project of the service user's token", str: &c.Keystone.Project},
		{name: "keystone-user-domain", usage: "auth-strategy keystone: domain name of the service user", str: &c.Keystone.UserDomain},
		{name: "keystone-project-domain", usage: "auth-strategy keystone: domain name of the service project", str: &c.Keystone.ProjectDomain},
		{name: "keystone-cafile", usage: "auth-strategy keystone: CA bundle to verify Keystone's certificate", str: &c.Keystone.CAFile},
		{name: "keystone-cache-ttl", usage: "auth-strategy keystone: how long a validated token is trusted before asking Keystone again", dur: &c.Keystone.CacheTTL},
		{name: "log-level", usage: "debug, info, warn or error", str: &c.LogLevel},
		{name: "policy-file", usage: "YAML or JSON policy file overriding the default policy rules", str: &c.PolicyFile},
		{name: "policy-dump", usage: "print the effective policy rules (defaults and policy-file) as YAML and exit", b: &c.PolicyDump},
		{name: "wsproxy-listen", usage: "websocket proxy listen address host:port (zun-wsproxy, all-in-one)", str: &c.WSProxyListen},
		{name: "wsproxy-url", usage: "websocket proxy base URL handed to clients (default ws://<bound wsproxy-listen address>/)", str: &c.WSProxyURL},
		{name: "wsproxy-allowed-origins", usage: "comma-separated browser origins allowed besides the proxy's own (https://dash.example)", str: &c.WSProxyAllowedOrigins},
		{name: "console-secret-file", usage: "shared secret of the proxy-agent console link (default <data-dir>/console-secret)", str: &c.ConsoleSecretFile},
		{name: "console-listen", usage: "compute: console link listen address host:port", str: &c.ConsoleListen},
		{name: "console-advertise", usage: "compute: console link address the proxy dials (default: the bound address)", str: &c.ConsoleAdvertise},
		{name: "console-token-ttl", usage: "lifetime of an unused attach/exec token (at most 60s)", dur: &c.ConsoleTokenTTL},
		{name: "console-idle-timeout", usage: "an attach/exec session without traffic for this long is closed", dur: &c.ConsoleIdleTimeout},
		{name: "console-max-sessions-user", usage: "concurrent attach/exec sessions per user, across every zun-wsproxy", i: &c.ConsoleMaxSessionsUser},
		{name: "console-max-sessions-container", usage: "concurrent attach/exec sessions per container", i: &c.ConsoleMaxSessionsContainer},
		{name: "max-copy-size", usage: "largest archive one streamed copy (zun cp) moves, MiB", i: &c.MaxCopySize},
		{name: "max-image-size", usage: "largest image the image service accepts, MiB", i: &c.MaxImageSize},
		{name: "image-gc-interval", usage: "period of the unused-image GC of each compute host (0 disables it)", dur: &c.ImageGCInterval},
		{name: "image-gc-min-age", usage: "an image unused for this long is removed by the GC", dur: &c.ImageGCMinAge},
		{name: "image-gc-high-percent", usage: "disk usage of the engine above which the GC removes unused images regardless of age", i: &c.ImageGCHighPercent},
		{name: "image-gc-low-percent", usage: "disk usage the pressure-driven GC brings the engine down to", i: &c.ImageGCLowPercent},
		{name: "image-gc-pinned", usage: "comma-separated image references the GC never removes", str: &c.ImageGCPinned},
		{name: "config", usage: "YAML configuration file", str: &c.ConfigFile},
	}, c.agentNetworkFields()...)
}

func (f field) set(v string) error {
	switch {
	case f.str != nil:
		*f.str = v
	case f.dur != nil:
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		*f.dur = d
	case f.b != nil:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		*f.b = b
	case f.f != nil:
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		*f.f = x
	case f.i != nil:
		x, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		*f.i = x
	}
	return nil
}

// Load layers defaults, file, environment and args (flags) for program
// name. env is os.Environ-style.
func Load(name string, args, env []string) (Config, error) {
	c := Default()
	// The config file may be named by flag or env; find it first.
	envMap := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			envMap[k] = v
		}
	}
	file := envMap["ZUN_CONFIG"]
	for i, a := range args {
		if a == "--config" || a == "-config" {
			if i+1 < len(args) {
				file = args[i+1]
			}
		} else if v, ok := strings.CutPrefix(a, "--config="); ok {
			file = v
		}
	}
	explicit := file != ""
	if file == "" {
		file = "/etc/zun/zun.yaml"
	}
	if err := c.loadFile(file, explicit); err != nil {
		return c, err
	}
	for _, f := range c.fields() {
		key := "ZUN_" + strings.ToUpper(strings.ReplaceAll(f.name, "-", "_"))
		if v, ok := envMap[key]; ok {
			if err := f.set(v); err != nil {
				return c, fmt.Errorf("environment %s: %w", key, err)
			}
		}
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	for _, f := range c.fields() {
		switch {
		case f.str != nil:
			fs.StringVar(f.str, f.name, *f.str, f.usage)
		case f.dur != nil:
			fs.DurationVar(f.dur, f.name, *f.dur, f.usage)
		case f.b != nil:
			fs.BoolVar(f.b, f.name, *f.b, f.usage)
		case f.f != nil:
			fs.Float64Var(f.f, f.name, *f.f, f.usage)
		case f.i != nil:
			fs.Int64Var(f.i, f.name, *f.i, f.usage)
		}
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return c, c.Validate()
}

func (c *Config) loadFile(path string, explicit bool) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && !explicit {
		return nil
	}
	if err != nil {
		return fmt.Errorf("failed to read config file: %w", err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("failed to parse config file %s: %w", path, err)
	}
	byName := map[string]field{}
	for _, f := range c.fields() {
		byName[f.name] = f
	}
	for k, v := range m {
		f, ok := byName[strings.ReplaceAll(k, "_", "-")]
		if !ok {
			return fmt.Errorf("config file %s: unknown key %q", path, k)
		}
		if err := f.set(fmt.Sprint(v)); err != nil {
			return fmt.Errorf("config file %s: %w", path, err)
		}
	}
	return nil
}

// Validate checks the settings.
func (c *Config) Validate() error {
	if c.DataDir == "" {
		return errors.New("data-dir must not be empty")
	}
	if c.Listen == "" {
		return errors.New("listen must not be empty")
	}
	if c.Driver != "docker" && c.Driver != "fake" {
		return fmt.Errorf("driver must be docker or fake, not %q", c.Driver)
	}
	if c.CPUAllocationRatio <= 0 || c.RAMAllocationRatio <= 0 || c.ReservedHostMemory < 0 {
		return errors.New("allocation ratios must be positive and reserved-host-memory not negative")
	}
	if c.Networking != "tenant" && c.Networking != "none" {
		return fmt.Errorf("networking must be tenant or none, not %q", c.Networking)
	}
	if c.Weigher != "spread" && c.Weigher != "binpack" {
		return fmt.Errorf("weigher must be spread or binpack, not %q", c.Weigher)
	}
	for name, d := range map[string]time.Duration{"sync-interval": c.SyncInterval, "heartbeat-interval": c.HeartbeatInterval,
		"service-down-time": c.ServiceDownTime, "token-ttl": c.TokenTTL} {
		if d <= 0 {
			return fmt.Errorf("%s must be positive", name)
		}
	}
	if c.ServiceDownTime <= c.HeartbeatInterval {
		return errors.New("service-down-time must be longer than heartbeat-interval")
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Listen
	}
	if c.ConsoleTokenTTL <= 0 || c.ConsoleTokenTTL > time.Minute {
		return errors.New("console-token-ttl must be positive and at most 1m")
	}
	if c.MaxCopySize <= 0 {
		return errors.New("max-copy-size must be positive")
	}
	if c.ConsoleIdleTimeout <= 0 || c.ConsoleMaxSessionsUser <= 0 || c.ConsoleMaxSessionsContainer <= 0 {
		return errors.New("console-idle-timeout and console session limits must be positive")
	}
	if c.ConsoleSecretFile == "" {
		c.ConsoleSecretFile = filepath.Join(c.DataDir, "console-secret")
	}
	if c.WSProxyURL != "" {
		u, err := url.Parse(c.WSProxyURL)
		if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" || u.RawQuery != "" {
			return fmt.Errorf("wsproxy-url must be a ws:// or wss:// URL without query, not %q", c.WSProxyURL)
		}
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.Only != "" && c.Only != "identity" {
		return fmt.Errorf("only must be empty or identity, not %q", c.Only)
	}
	if err := c.validateAuth(); err != nil {
		return err
	}
	if err := c.validateAgentNetwork(); err != nil {
		return err
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log-level must be debug, info, warn or error, not %q", c.LogLevel)
	}
	return nil
}

func (c *Config) validateAuth() error {
	switch c.AuthStrategy {
	case "embedded":
		return nil
	case "keystone":
	default:
		return fmt.Errorf("auth-strategy must be embedded or keystone, not %q", c.AuthStrategy)
	}
	k := c.Keystone
	if k.URL == "" || k.Username == "" || k.Project == "" {
		return errors.New("auth-strategy keystone needs keystone-url, keystone-username and keystone-project")
	}
	if (k.Password == "") == (k.PasswordFile == "") {
		return errors.New("auth-strategy keystone needs one of keystone-password and keystone-password-file")
	}
	if k.CacheTTL <= 0 {
		return errors.New("keystone-cache-ttl must be positive")
	}
	return nil
}
