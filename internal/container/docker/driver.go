package docker

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/moby/moby/client"

	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/model"
)

// Defaults of Config.
const (
	DefaultRuntime   = "runc"
	DefaultPidsLimit = 1024
)

// Config is the docker: section of zun-compute's configuration.
type Config struct {
	// Host is the engine address; default $DOCKER_HOST, else
	// unix:///var/run/docker.sock.
	Host string `json:"host" yaml:"host"`
	// DefaultRuntime is used when a container asks for none ("runc").
	DefaultRuntime string `json:"default_runtime" yaml:"default_runtime"`
	// Labels are host labels; they override the daemon's labels of the same
	// key in HostInfo.
	Labels map[string]string `json:"labels" yaml:"labels"`
	// PidsLimit caps the processes of each container (default 1024; a
	// negative value means unlimited).
	PidsLimit int64 `json:"pids_limit" yaml:"pids_limit"`
	// ZunHost is the compute host name. Containers are labelled with it
	// (container.LabelHost) and List and Events see only its own, so
	// several agents (or tests) sharing one engine never touch each
	// other's containers.
	ZunHost string `json:"zun_host" yaml:"zun_host"`
	// PauseBinary is the zun-pause executable the capsule sandbox image is
	// built from when the engine lacks it (default: zun-pause next to the
	// running executable).
	PauseBinary string `json:"pause_binary" yaml:"pause_binary"`
	// SandboxImage is the capsule sandbox image (default
	// container.SandboxImage).
	SandboxImage string `json:"sandbox_image" yaml:"sandbox_image"`
	// NetworkPlugin is the agent's Docker network and IPAM plugin: the
	// driver of the Docker networks of containers' ports (network.go).
	// Empty leaves the host without tenant networking.
	NetworkPlugin string `json:"network_plugin" yaml:"network_plugin"`
}

func (c *Config) setDefaults() {
	if c.Host == "" {
		c.Host = os.Getenv("DOCKER_HOST")
	}
	if c.Host == "" {
		c.Host = client.DefaultDockerHost
	}
	if c.DefaultRuntime == "" {
		c.DefaultRuntime = DefaultRuntime
	}
	if c.PidsLimit == 0 {
		c.PidsLimit = DefaultPidsLimit
	}
	if c.SandboxImage == "" {
		c.SandboxImage = container.SandboxImage
	}
}

// Driver runs Zun containers on one Docker engine.
type Driver struct {
	cfg    Config
	cli    *client.Client
	log    *slog.Logger
	quota  bool   // storage driver enforces StorageOpt size
	osType string // daemon OS, for stats math
	nets   *netLocks
}

// netLocks: mu is held for reading while a container is created on its
// networks, for writing while unused networks are pruned; create
// serializes network creations.
type netLocks struct {
	mu     sync.RWMutex
	create sync.Mutex
}

var (
	_ container.Driver    = (*Driver)(nil)
	_ container.LogWriter = (*Driver)(nil)
)

// New connects to the engine of cfg, negotiates the API version and reads
// the engine's capabilities. It fails when the engine cannot be reached.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (*Driver, error) {
	cfg.setDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cli, err := client.New(client.WithHost(cfg.Host), client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, translate(fmt.Sprintf("create docker client for %s", cfg.Host), err)
	}
	d := &Driver{cfg: cfg, cli: cli, log: logger.With("component", "docker"), nets: &netLocks{}}
	ping, err := cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
	if err != nil {
		_ = cli.Close()
		return nil, translate(fmt.Sprintf("reach docker engine at %s", cfg.Host), err)
	}
	info, err := d.info(ctx)
	if err != nil {
		_ = cli.Close()
		return nil, err
	}
	d.quota = diskQuotaSupported(info.Driver, info.DriverStatus, info.DockerRootDir)
	d.osType = info.OSType
	d.log.Info("connected to docker engine", "host", cfg.Host, "api_version", cli.ClientVersion(),
		"daemon_api", ping.APIVersion, "server_version", info.ServerVersion,
		"storage_driver", info.Driver, "disk_quota", d.quota)
	return d, nil
}

// Close releases the client's connections.
func (d *Driver) Close() error { return d.cli.Close() }

// APIVersion is the negotiated Engine API version.
func (d *Driver) APIVersion() string { return d.cli.ClientVersion() }

// ref is the engine reference of c: its Docker ID, else its name.
func ref(c *model.Container) string {
	if c.ContainerID != "" {
		return c.ContainerID
	}
	return c.DockerName()
}
