package fake

import (
	"context"
	"fmt"
	"maps"

	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

var _ container.CapsuleDriver = (*Driver)(nil)

// EnsureSandboxImage always succeeds: the fake needs no image.
func (d *Driver) EnsureSandboxImage(ctx context.Context) error { return ctx.Err() }

func capsuleLabels(c *model.Capsule, role string) map[string]string {
	return map[string]string{container.LabelCapsule: c.UUID, container.LabelCapsuleRole: role}
}

// CreateSandbox records the sandbox as a container named after c.
func (d *Driver) CreateSandbox(ctx context.Context, c *model.Capsule) (string, error) {
	return d.Create(ctx, &model.Container{UUID: c.UUID, Image: container.SandboxImage, ProjectID: c.ProjectID,
		Labels: capsuleLabels(c, "sandbox")})
}

// CreateMember records member m; its volume mounts must name c's volumes.
func (d *Driver) CreateMember(ctx context.Context, c *model.Capsule, m *model.Member) (string, error) {
	names := map[string]bool{}
	for _, v := range c.Volumes {
		names[v.Name] = true
	}
	for _, vm := range m.VolumeMounts {
		if !names[vm.Name] {
			return "", fmt.Errorf("volume mount %s names no volume: %w", vm.Name, errdefs.ErrInvalidArgument)
		}
	}
	ct := m.Container
	ct.Labels = maps.Clone(m.Labels)
	if ct.Labels == nil {
		ct.Labels = map[string]string{}
	}
	maps.Copy(ct.Labels, capsuleLabels(c, m.Role))
	return d.Create(ctx, &ct)
}

// Wait returns the exit code of a stopped container. Fake processes never
// end by themselves, so a running one (an init container) completes at
// once with code 0; use Exit beforehand to simulate another code.
func (d *Driver) Wait(ctx context.Context, c *model.Container) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.lookup(c)
	if err != nil {
		return 0, err
	}
	if e.eng.Running {
		d.exit(e, 0, "")
	}
	return e.eng.ExitCode, ctx.Err()
}
