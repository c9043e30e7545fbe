package docker

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	dcontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

// Log rotation of every container: json-file, 3 files of 10 MiB, so a
// chatty tenant cannot fill the host's disk with logs.
const (
	logMaxSize  = "10m"
	logMaxFiles = "3"
)

const mib = 1 << 20

// Create creates c's container (not started). A retry after a lost reply
// finds the container by name and returns its ID when the zun.uuid label
// matches; another owner of the name gives errdefs.ErrAlreadyExists.
func (d *Driver) Create(ctx context.Context, c *model.Container) (string, error) {
	cfg, host, err := d.createSpec(c)
	if err != nil {
		return "", err
	}
	if len(c.Networks) == 0 {
		return d.createWith(ctx, c, cfg, host)
	}
	return d.createOnPorts(ctx, c, c.Networks, cfg, host, nil)
}

// createOnPorts creates a container on its ports' networks: the first in
// the create, the others connected before it starts.
func (d *Driver) createOnPorts(ctx context.Context, c *model.Container, ports []model.PortAttachment, cfg *dcontainer.Config, host *dcontainer.HostConfig, opts endpointOpts) (string, error) {
	d.nets.mu.RLock()
	defer d.nets.mu.RUnlock()
	mode, netCfg, err := d.portNetworking(ctx, ports, opts)
	if err != nil {
		return "", err
	}
	host.NetworkMode = mode
	id, err := d.createWithNetworks(ctx, c, cfg, host, netCfg)
	if err != nil {
		return "", err
	}
	if err := d.connectPorts(ctx, id, ports[1:], opts); err != nil {
		return "", err
	}
	return id, nil
}

// createWith creates c's container from a finished spec, idempotently.
func (d *Driver) createWith(ctx context.Context, c *model.Container, cfg *dcontainer.Config, host *dcontainer.HostConfig) (string, error) {
	return d.createWithNetworks(ctx, c, cfg, host, nil)
}

func (d *Driver) createWithNetworks(ctx context.Context, c *model.Container, cfg *dcontainer.Config, host *dcontainer.HostConfig, netCfg *network.NetworkingConfig) (string, error) {
	name := c.DockerName()
	res, err := d.cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name:             name,
		Config:           cfg,
		HostConfig:       host,
		NetworkingConfig: netCfg,
	})
	if cerrdefs.IsConflict(err) {
		return d.existing(ctx, c)
	}
	if err != nil {
		return "", translate("create container "+name, err)
	}
	for _, w := range res.Warnings {
		d.log.WarnContext(ctx, "docker create warning", "container", c.UUID, "warning", w)
	}
	d.log.InfoContext(ctx, "created container", "container", c.UUID, "id", res.ID)
	return res.ID, nil
}

// existing resolves a name conflict on create.
func (d *Driver) existing(ctx context.Context, c *model.Container) (string, error) {
	name := c.DockerName()
	res, err := d.cli.ContainerInspect(ctx, name, client.ContainerInspectOptions{})
	if err != nil {
		return "", translate("inspect conflicting container "+name, err)
	}
	if res.Container.Config == nil || res.Container.Config.Labels[container.LabelUUID] != c.UUID {
		return "", fmt.Errorf("container name %s is taken by another container: %w", name, errdefs.ErrAlreadyExists)
	}
	return res.Container.ID, nil
}

// createSpec builds the engine configuration of c.
func (d *Driver) createSpec(c *model.Container) (_ *dcontainer.Config, _ *dcontainer.HostConfig, err error) {
	if c.UUID == "" || c.Image == "" {
		return nil, nil, fmt.Errorf("container needs a uuid and an image: %w", errdefs.ErrInvalidArgument)
	}
	if c.CPU < 0 || c.Memory < 0 || c.Disk < 0 {
		return nil, nil, fmt.Errorf("negative cpu, memory or disk: %w", errdefs.ErrInvalidArgument)
	}
	labels := make(map[string]string, len(c.Labels)+3)
	maps.Copy(labels, c.Labels)
	// Zun's own labels last: a user label cannot forge ownership.
	labels[container.LabelManaged] = "true"
	labels[container.LabelUUID] = c.UUID
	labels[container.LabelProjectID] = c.ProjectID
	if d.cfg.ZunHost != "" {
		labels[container.LabelHost] = d.cfg.ZunHost
	}

	cfg := &dcontainer.Config{
		Image:      c.Image,
		Cmd:        nonEmpty(c.Command),
		Entrypoint: nonEmpty(c.Entrypoint),
		Env:        envList(c.Environment),
		WorkingDir: c.Workdir,
		Hostname:   c.Hostname,
		Labels:     labels,
		Tty:        c.TTY,
	}
	if c.Interactive {
		cfg.OpenStdin = true
		cfg.AttachStdin = true
		cfg.AttachStdout = true
		cfg.AttachStderr = true
	}
	if hc := c.Healthcheck; hc != nil && hc.Test != "" {
		cfg.Healthcheck = &dcontainer.HealthConfig{
			Test:     []string{"CMD-SHELL", hc.Test},
			Interval: time.Duration(hc.Interval) * time.Second,
			Timeout:  time.Duration(hc.Timeout) * time.Second,
			Retries:  hc.Retries,
		}
	}

	host := &dcontainer.HostConfig{
		Resources:   resources(c.CPU, c.Memory),
		AutoRemove:  c.AutoRemove,
		Privileged:  c.Privileged,
		SecurityOpt: []string{"no-new-privileges:true"},
		// Private even where the engine's default is the host's (cgroup v1).
		CgroupnsMode: dcontainer.CgroupnsModePrivate,
		LogConfig: dcontainer.LogConfig{
			Type:   "json-file",
			Config: map[string]string{"max-size": logMaxSize, "max-file": logMaxFiles},
		},
		Runtime: c.Runtime,
	}
	if host.Runtime == "" {
		host.Runtime = d.cfg.DefaultRuntime
	}
	pids := d.cfg.PidsLimit
	if pids < 0 {
		pids = -1
	}
	host.PidsLimit = &pids
	if rp := c.RestartPolicy; rp != nil && rp.Name != "" {
		host.RestartPolicy = dcontainer.RestartPolicy{
			Name:              dcontainer.RestartPolicyMode(rp.Name),
			MaximumRetryCount: rp.MaximumRetryCount,
		}
	}
	if host.Mounts, err = binds(c.Mounts); err != nil {
		return nil, nil, err
	}
	if c.Disk > 0 && d.quota {
		host.StorageOpt = map[string]string{"size": fmt.Sprintf("%dG", c.Disk)}
	}
	return cfg, host, nil
}

// resources converts Zun's cpu (cores) and memory (MiB) to engine limits:
// shares as Zun, plus a hard CPU quota and no swap beyond the memory limit.
// Zero leaves a resource unlimited.
func resources(cpu float64, memoryMiB int64) dcontainer.Resources {
	var r dcontainer.Resources
	if cpu > 0 {
		r.CPUShares = int64(1024 * cpu)
		r.NanoCPUs = int64(cpu * 1e9)
	}
	if memoryMiB > 0 {
		r.Memory = memoryMiB * mib
		r.MemorySwap = r.Memory
	}
	return r
}

// binds turns the prepared mounts of a container (volumes and injected
// files, whose host paths the compute agent built) into bind mounts. A
// mount without a host path was not prepared: refuse rather than let the
// engine create an empty directory.
func binds(ms []model.Mount) ([]mount.Mount, error) {
	var out []mount.Mount
	for _, m := range ms {
		if m.HostPath == "" || m.Destination == "" {
			return nil, fmt.Errorf("mount at %q was not prepared on the host: %w", m.Destination, errdefs.ErrInvalidArgument)
		}
		out = append(out, mount.Mount{Type: mount.TypeBind, Source: m.HostPath, Target: m.Destination,
			BindOptions: &mount.BindOptions{Propagation: mount.PropagationRPrivate}})
	}
	return out, nil
}

func nonEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// envList renders env as sorted KEY=VALUE pairs (stable for tests and
// diffing).
func envList(env map[string]string) []string {
	if len(env) == 0 {
		return nil
	}
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}
