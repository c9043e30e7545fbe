package docker

import (
	"context"
	"slices"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	dcontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/container/docker/zunstate"
	"github.com/openzun/zun/internal/model"
)

// Inspect returns the state of c; a container the engine lacks is
// errdefs.ErrNotFound.
func (d *Driver) Inspect(ctx context.Context, c *model.Container) (container.State, error) {
	res, err := d.cli.ContainerInspect(ctx, ref(c), client.ContainerInspectOptions{})
	if err != nil {
		return container.State{}, translate("inspect container "+c.DockerName(), err)
	}
	return toState(res.Container, time.Now()), nil
}

// List returns the state of every container labelled zun.managed=true, in
// any state. Containers removed while listing are left out.
func (d *Driver) List(ctx context.Context) ([]container.State, error) {
	res, err := d.cli.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: d.managedFilter(),
	})
	if err != nil {
		return nil, translate("list containers", err)
	}
	out := make([]container.State, 0, len(res.Items))
	for _, s := range res.Items {
		ins, err := d.cli.ContainerInspect(ctx, s.ID, client.ContainerInspectOptions{})
		if cerrdefs.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, translate("inspect container "+s.ID, err)
		}
		out = append(out, toState(ins.Container, time.Now()))
	}
	return out, nil
}

func (d *Driver) managedFilter() client.Filters {
	f := client.Filters{}.Add("label", container.LabelManaged+"=true")
	if d.cfg.ZunHost != "" {
		f = f.Add("label", container.LabelHost+"="+d.cfg.ZunHost)
	}
	return f
}

// toState maps an inspect response to the driver's State.
func toState(r dcontainer.InspectResponse, now time.Time) container.State {
	st := container.State{ContainerID: r.ID}
	if r.Config != nil {
		st.UUID = r.Config.Labels[container.LabelUUID]
		st.Capsule = r.Config.Labels[container.LabelCapsule]
		st.Hostname = r.Config.Hostname
		st.Ports = exposedPorts(r.Config)
	}
	if st.UUID == "" {
		st.UUID = strings.TrimPrefix(strings.TrimPrefix(r.Name, "/"), "zun-")
	}
	if r.State == nil {
		st.Status = zunstate.Map(zunstate.Engine{}, now).Status
		return st
	}
	e := zunstate.Engine{
		Status:     string(r.State.Status),
		Running:    r.State.Running,
		Paused:     r.State.Paused,
		Restarting: r.State.Restarting,
		Dead:       r.State.Dead,
		OOMKilled:  r.State.OOMKilled,
		ExitCode:   r.State.ExitCode,
		Error:      r.State.Error,
		StartedAt:  parseTime(r.State.StartedAt),
		FinishedAt: parseTime(r.State.FinishedAt),
	}
	m := zunstate.Map(e, now)
	st.Status, st.Detail, st.Reason = m.Status, m.Detail, m.Reason
	st.ExitCode = e.ExitCode
	st.StartedAt, st.FinishedAt = e.StartedAt, e.FinishedAt
	return st
}

// exposedPorts lists the port numbers the image or config exposes, sorted
// and without duplicates (80/tcp and 80/udp are one port).
func exposedPorts(cfg *dcontainer.Config) []int {
	if len(cfg.ExposedPorts) == 0 {
		return nil
	}
	out := make([]int, 0, len(cfg.ExposedPorts))
	for p := range cfg.ExposedPorts {
		if n := int(p.Num()); n > 0 {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// parseTime reads the engine's RFC 3339 times; Docker's "never" is
// 0001-01-01T00:00:00Z, which is the zero time.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}
