package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
	dcontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

var _ container.CapsuleDriver = (*Driver)(nil)

// sandboxPidsLimit bounds the sandbox's own cgroup: pause alone runs there.
const sandboxPidsLimit = 16

// sandboxImageMu serialises building the sandbox image.
var sandboxImageMu sync.Mutex

// pauseBinary is the zun-pause executable the sandbox image is built
// from: Config.PauseBinary, else zun-pause next to the running binary
// (make build and the release put them together).
func (d *Driver) pauseBinary() (string, error) {
	if d.cfg.PauseBinary != "" {
		return d.cfg.PauseBinary, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("failed to find the running executable: %w", err)
	}
	return filepath.Join(filepath.Dir(exe), "zun-pause"), nil
}

// EnsureSandboxImage imports the sandbox image from the zun-pause binary
// when the engine lacks it: no registry is needed.
func (d *Driver) EnsureSandboxImage(ctx context.Context) error {
	sandboxImageMu.Lock()
	defer sandboxImageMu.Unlock()
	if _, err := d.cli.ImageInspect(ctx, d.cfg.SandboxImage); err == nil {
		return nil
	} else if !cerrdefs.IsNotFound(err) {
		return translate("inspect sandbox image", err)
	}
	path, err := d.pauseBinary()
	if err != nil {
		return err
	}
	bin, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("sandbox image %s is missing and cannot be built from %s: %v: %w",
			d.cfg.SandboxImage, path, err, errdefs.ErrNotFound)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "pause", Mode: 0o755, Size: int64(len(bin)), Typeflag: tar.TypeReg}); err != nil {
		return fmt.Errorf("failed to pack zun-pause: %w", err)
	}
	if _, err := tw.Write(bin); err != nil {
		return fmt.Errorf("failed to pack zun-pause: %w", err)
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("failed to pack zun-pause: %w", err)
	}
	res, err := d.cli.ImageImport(ctx, client.ImageImportSource{Source: &buf, SourceName: "-"}, d.cfg.SandboxImage,
		client.ImageImportOptions{Changes: []string{`ENTRYPOINT ["/pause"]`}, Message: "zun capsule sandbox"})
	if err != nil {
		return translate("import sandbox image", err)
	}
	defer res.Close()
	if err := streamError(res); err != nil {
		return fmt.Errorf("failed to import sandbox image: %w", err)
	}
	d.log.InfoContext(ctx, "built sandbox image", "image", d.cfg.SandboxImage, "from", path)
	return nil
}

// streamError reads a JSON message stream to its end and returns the
// first error it reports.
func streamError(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var m struct {
			Error string `json:"error"`
		}
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if m.Error != "" {
			return errors.New(m.Error)
		}
	}
}

func (d *Driver) capsuleLabels(c *model.Capsule, uuid, role string) map[string]string {
	l := map[string]string{
		container.LabelManaged:     "true",
		container.LabelUUID:        uuid,
		container.LabelProjectID:   c.ProjectID,
		container.LabelCapsule:     c.UUID,
		container.LabelCapsuleRole: role,
	}
	if d.cfg.ZunHost != "" {
		l[container.LabelHost] = d.cfg.ZunHost
	}
	return l
}

// CreateSandbox creates the pause container holding c's namespaces. It is
// the only container of the capsule with its own network stack, so it
// exposes and publishes the members' ports; IPC is shareable so members
// can join it; it runs nothing a tenant controls.
func (d *Driver) CreateSandbox(ctx context.Context, c *model.Capsule) (string, error) {
	exposed := network.PortSet{}
	bindings := network.PortMap{}
	for _, m := range c.Containers {
		for _, p := range m.CapsulePorts {
			port, err := network.ParsePort(strconv.Itoa(p.ContainerPort) + "/" + p.Protocol)
			if err != nil {
				return "", fmt.Errorf("port %d/%s: %v: %w", p.ContainerPort, p.Protocol, err, errdefs.ErrInvalidArgument)
			}
			exposed[port] = struct{}{}
			if p.HostPort != 0 {
				bindings[port] = append(bindings[port], network.PortBinding{HostPort: strconv.Itoa(p.HostPort)})
			}
		}
	}
	pids := int64(sandboxPidsLimit)
	cfg := &dcontainer.Config{
		Image:        d.cfg.SandboxImage,
		Labels:       d.capsuleLabels(c, c.UUID, "sandbox"),
		ExposedPorts: exposed,
	}
	host := &dcontainer.HostConfig{
		IpcMode:        dcontainer.IPCModeShareable,
		PortBindings:   bindings,
		ReadonlyRootfs: true,
		CapDrop:        []string{"ALL"},
		SecurityOpt:    []string{"no-new-privileges:true"},
		RestartPolicy:  dcontainer.RestartPolicy{Name: dcontainer.RestartPolicyAlways},
		Resources:      dcontainer.Resources{PidsLimit: &pids, Memory: 16 * mib, MemorySwap: 16 * mib},
		LogConfig:      dcontainer.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "1m", "max-file": "1"}},
		Runtime:        d.cfg.DefaultRuntime,
	}
	if len(c.Networks) == 0 {
		return d.createWith(ctx, &model.Container{UUID: c.UUID}, cfg, host)
	}
	if len(bindings) == 0 {
		return d.createOnPorts(ctx, &model.Container{UUID: c.UUID}, c.Networks, cfg, host, nil)
	}
	// A hostPort is published by the engine's own port mapping, which only
	// reaches containers on its bridge, and only when the bridge holds the
	// default route: the sandbox of a capsule with host ports is also on
	// Docker's default bridge, and its tenant endpoints take no gateway (its
	// egress leaves by the bridge; its tenant address stays the capsule's).
	id, err := d.createOnPorts(ctx, &model.Container{UUID: c.UUID}, c.Networks, cfg, host,
		endpointOpts{optNoGateway: "true"})
	if err != nil {
		return id, err
	}
	_, err = d.cli.NetworkConnect(ctx, "bridge", client.NetworkConnectOptions{Container: id})
	if err != nil && !cerrdefs.IsConflict(err) && !cerrdefs.IsAlreadyExists(err) {
		return id, translate("connect the sandbox to the engine's bridge for its host ports", err)
	}
	return id, nil
}

// CreateMember creates m inside the namespaces of c's sandbox, with the
// security settings of any container and c's volumes mounted.
func (d *Driver) CreateMember(ctx context.Context, c *model.Capsule, m *model.Member) (string, error) {
	cfg, host, err := d.createSpec(&m.Container)
	if err != nil {
		return "", err
	}
	cfg.Labels = d.capsuleLabels(c, m.UUID, m.Role)
	cfg.Hostname = "" // the sandbox's UTS name is the capsule's
	sandbox := "container:" + c.SandboxName()
	host.NetworkMode = dcontainer.NetworkMode(sandbox)
	host.IpcMode = dcontainer.IpcMode(sandbox)
	host.PidMode = dcontainer.PidMode(sandbox)
	vols := make(map[string]model.CapsuleVolume, len(c.Volumes))
	for _, v := range c.Volumes {
		vols[v.Name] = v
	}
	for _, vm := range m.VolumeMounts {
		v, ok := vols[vm.Name]
		if !ok {
			return "", fmt.Errorf("volume mount %s names no volume of the capsule: %w", vm.Name, errdefs.ErrInvalidArgument)
		}
		if v.HostPath == "" {
			return "", fmt.Errorf("volume %s was not attached on the host: %w", vm.Name, errdefs.ErrInvalidArgument)
		}
		host.Mounts = append(host.Mounts, mount.Mount{Type: mount.TypeBind, Source: v.HostPath, Target: vm.MountPath,
			ReadOnly: vm.ReadOnly, BindOptions: &mount.BindOptions{Propagation: mount.PropagationRPrivate}})
	}
	return d.createWith(ctx, &m.Container, cfg, host)
}

// Wait waits until c's container is not running and returns its exit code.
func (d *Driver) Wait(ctx context.Context, c *model.Container) (int, error) {
	res := d.cli.ContainerWait(ctx, ref(c), client.ContainerWaitOptions{Condition: dcontainer.WaitConditionNotRunning})
	select {
	case r := <-res.Result:
		if r.Error != nil && r.Error.Message != "" {
			return int(r.StatusCode), fmt.Errorf("wait for container %s: %s", c.DockerName(), r.Error.Message)
		}
		return int(r.StatusCode), nil
	case err := <-res.Error:
		return 0, translate("wait for container "+c.DockerName(), err)
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}
