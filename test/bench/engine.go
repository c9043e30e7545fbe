package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	dcontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// Workload of every docker phase: the same image, command and limits
// through the API and on the raw engine.
const (
	image    = "busybox:1.35"
	benchCPU = 0.1
	benchMiB = 16
	// labelRun marks the raw containers of one run for cleanup.
	labelRun = "zun-bench.run"
)

var command = []string{"sleep", "3600"}

// rawTiming splits one floor run: the create call, then the start call
// plus the inspect wait until running.
type rawTiming struct {
	create, start time.Duration
}

// engine is the floor: the Docker Engine API through the moby client, as
// internal/container/docker uses it (API version negotiation).
type engine struct {
	cli     *client.Client
	runID   string
	version string // server version
	api     string // negotiated API version
}

func newEngine(ctx context.Context, runID string) (*engine, error) {
	cli, err := client.New(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("failed to create docker client: %w", err)
	}
	if _, err := cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		_ = cli.Close()
		return nil, fmt.Errorf("failed to reach docker engine: %w", err)
	}
	v, err := cli.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		_ = cli.Close()
		return nil, fmt.Errorf("failed to read docker version: %w", err)
	}
	if _, err := cli.ImageInspect(ctx, image); err != nil {
		_ = cli.Close()
		return nil, fmt.Errorf("image %s must be present (scripts/build-busybox-image.sh): %w", image, err)
	}
	return &engine{cli: cli, runID: runID, version: v.Version, api: cli.ClientVersion()}, nil
}

// createStart creates and starts one container with the workload's spec
// (limits, no-new-privileges and json-file log rotation as the Zun docker
// driver sets them) and waits, polling inspect every interval, until the
// engine reports it running.
func (e *engine) createStart(ctx context.Context, name string, interval time.Duration) (rawTiming, string, error) {
	return e.createStartOn(ctx, name, "", interval)
}

// createStartOn is createStart on the engine network netID ("" is
// Docker's default bridge).
func (e *engine) createStartOn(ctx context.Context, name, netID string, interval time.Duration) (rawTiming, string, error) {
	var t rawTiming
	cpu := benchCPU
	t0 := time.Now()
	res, err := e.cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name: name,
		Config: &dcontainer.Config{
			Image:  image,
			Cmd:    command,
			Labels: map[string]string{labelRun: e.runID},
		},
		HostConfig: &dcontainer.HostConfig{
			Resources: dcontainer.Resources{
				CPUShares: int64(1024 * cpu), NanoCPUs: int64(cpu * 1e9),
				Memory: benchMiB << 20, MemorySwap: benchMiB << 20,
			},
			NetworkMode: dcontainer.NetworkMode(netID),
			SecurityOpt: []string{"no-new-privileges:true"},
			LogConfig: dcontainer.LogConfig{
				Type:   "json-file",
				Config: map[string]string{"max-size": "10m", "max-file": "3"},
			},
		},
	})
	if err != nil {
		return t, "", fmt.Errorf("failed to create raw container %s: %w", name, err)
	}
	t.create = time.Since(t0)
	if _, err := e.cli.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
		return t, res.ID, fmt.Errorf("failed to start raw container %s: %w", name, err)
	}
	for {
		in, err := e.cli.ContainerInspect(ctx, res.ID, client.ContainerInspectOptions{})
		if err != nil {
			return t, res.ID, fmt.Errorf("failed to inspect raw container %s: %w", name, err)
		}
		if in.Container.State != nil && in.Container.State.Running {
			t.start = time.Since(t0) - t.create
			return t, res.ID, nil
		}
		select {
		case <-ctx.Done():
			return t, res.ID, ctx.Err()
		case <-time.After(interval):
		}
	}
}

func (e *engine) remove(ctx context.Context, id string) error {
	if _, err := e.cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true}); err != nil {
		return fmt.Errorf("failed to remove raw container %s: %w", id, err)
	}
	return nil
}

// removeLabeled force-removes every container labelled key=value.
func (e *engine) removeLabeled(ctx context.Context, key, value string) error {
	l, err := e.cli.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: make(client.Filters).Add("label", key+"="+value),
	})
	if err != nil {
		return fmt.Errorf("failed to list containers labelled %s=%s: %w", key, value, err)
	}
	var errs []error
	for _, c := range l.Items {
		errs = append(errs, e.remove(ctx, c.ID))
	}
	return errors.Join(errs...)
}

// bridgeNetwork creates a user-defined network of Docker's own bridge
// driver, labelled for cleanup, on a subnet of its own.
func (e *engine) bridgeNetwork(ctx context.Context, name, subnet string) (string, error) {
	res, err := e.cli.NetworkCreate(ctx, name, client.NetworkCreateOptions{
		Driver: "bridge",
		IPAM:   &network.IPAM{Config: []network.IPAMConfig{{Subnet: netip.MustParsePrefix(subnet)}}},
		Labels: map[string]string{labelRun: e.runID},
	})
	if err != nil {
		return "", fmt.Errorf("failed to create the bridge network %s: %w", name, err)
	}
	return res.ID, nil
}

func (e *engine) removeNetwork(ctx context.Context, id string) error {
	if _, err := e.cli.NetworkRemove(ctx, id, client.NetworkRemoveOptions{}); err != nil {
		return fmt.Errorf("failed to remove network %s: %w", id, err)
	}
	return nil
}

func (e *engine) close() error { return e.cli.Close() }
