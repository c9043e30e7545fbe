package service

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/openzun/zun/internal/bus"
	"github.com/openzun/zun/internal/bus/natsbus"
	"github.com/openzun/zun/internal/compute"
	"github.com/openzun/zun/internal/config"
	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/container/docker"
	"github.com/openzun/zun/internal/container/fake"
	"github.com/openzun/zun/internal/dockerplugin"
)

// RunCompute runs a standalone zun-compute until ctx ends. It needs only
// the bus and the local engine: no database credentials.
func RunCompute(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	if cfg.NATSURL == "" {
		return fmt.Errorf("nats-url is required")
	}
	b, err := natsbus.Connect(ctx, cfg.NATSURL, natsbus.Options{User: cfg.NATSUser, Password: cfg.NATSPassword, Name: "zun-compute@" + cfg.Host},
		log.With("component", "bus"))
	if err != nil {
		return fmt.Errorf("failed to connect to NATS: %w", err)
	}
	defer b.Close()
	return RunAgent(ctx, cfg, b, log)
}

// NewDriver returns the configured container driver.
func NewDriver(ctx context.Context, cfg config.Config, log *slog.Logger) (container.Driver, error) {
	if cfg.Driver == "fake" {
		return fake.New(fake.Options{}), nil
	}
	dc := docker.Config{Host: cfg.DockerHost, ZunHost: cfg.Host}
	if agentNetworking(cfg) {
		dc.NetworkPlugin = cfg.AgentNetwork.DockerPluginName
	}
	drv, err := docker.New(ctx, dc, log.With("component", "docker"))
	if err != nil {
		return nil, fmt.Errorf("failed to connect to the Docker engine: %w", err)
	}
	return drv, nil
}

// RunAgent runs a compute agent on b until ctx ends.
func RunAgent(ctx context.Context, cfg config.Config, b bus.Bus, log *slog.Logger) error {
	if cfg.Host == "" {
		h, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("failed to get host name: %w", err)
		}
		cfg.Host = h
	}
	drv, err := NewDriver(ctx, cfg, log)
	if err != nil {
		return err
	}
	return RunAgentWith(ctx, cfg, b, drv, log)
}

// RunAgentWith runs a compute agent with a given driver until ctx ends.
func RunAgentWith(ctx context.Context, cfg config.Config, b bus.Bus, drv container.Driver, log *slog.Logger) error {
	cc := ComputeConfig(cfg)
	sec, err := consoleSecret(cfg, cfg.AllInOne)
	if err != nil {
		log.Warn("console link off: attach and interactive exec unavailable on this host", "err", err)
	}
	cc.ConsoleSecret = sec
	if agentNetworking(cfg) {
		cc.TunnelIP = tunnelIP(cfg)
		bridges, err := config.ParsePhysicalBridges(cfg.AgentNetwork.PhysicalBridges)
		if err != nil {
			return err
		}
		for phys := range bridges {
			cc.PhysicalNetworks = append(cc.PhysicalNetworks, phys)
		}
		sort.Strings(cc.PhysicalNetworks)
	}
	agent, err := compute.New(cc, drv, b, log)
	if err != nil {
		return err
	}
	if names, ok := drv.(dockerplugin.NetworkNamer); ok && agentNetworking(cfg) {
		stop, err := startAgentNetworking(cfg, agent, names, cc.TunnelIP, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	return agent.Run(ctx)
}

// ComputeConfig derives the agent's settings.
func ComputeConfig(cfg config.Config) compute.Config {
	return compute.Config{Host: cfg.Host, AvailabilityZone: cfg.AvailabilityZone,
		SyncInterval: cfg.SyncInterval, HeartbeatInterval: cfg.HeartbeatInterval,
		CPUAllocationRatio: cfg.CPUAllocationRatio, RAMAllocationRatio: cfg.RAMAllocationRatio,
		ReservedMemory: cfg.ReservedHostMemory,
		ConsoleListen:  cfg.ConsoleListen, ConsoleAdvertise: cfg.ConsoleAdvertise,
		MaxSessionsPerContainer: int(cfg.ConsoleMaxSessionsContainer),
		MaxStreamedArchiveBytes: cfg.MaxCopySize << 20,
		VolumeDir:               volumeDir(cfg.DataDir),
		ImageCacheDir:           filepath.Join(cfg.DataDir, "image-cache", cfg.Host),
		ArchiveSpoolDir:         spoolDir(cfg),
		ImageGC: compute.ImageGCConfig{Interval: cfg.ImageGCInterval, MinAge: cfg.ImageGCMinAge,
			HighPercent: float64(cfg.ImageGCHighPercent), LowPercent: float64(cfg.ImageGCLowPercent),
			Pinned: splitList(cfg.ImageGCPinned)}}
}

// spoolDir holds streamed put archives while they are checked: under the
// data dir (the OS temp dir may be memory), else the OS temp dir.
func spoolDir(cfg config.Config) string {
	if cfg.DataDir == "" {
		return ""
	}
	return filepath.Join(cfg.DataDir, "archive-spool", cfg.Host)
}

// volumeDir is where the agent keeps local volumes: under the data dir,
// made absolute because it becomes the source of bind mounts.
func volumeDir(dataDir string) string {
	if dataDir == "" {
		return ""
	}
	abs, err := filepath.Abs(filepath.Join(dataDir, "volumes"))
	if err != nil {
		return ""
	}
	return abs

}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
