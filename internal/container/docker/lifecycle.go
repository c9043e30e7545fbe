package docker

import (
	"context"
	"fmt"
	"math"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	dcontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/openzun/zun/internal/container/docker/zunstate"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

// Start starts c; starting a running container is a no-op.
func (d *Driver) Start(ctx context.Context, c *model.Container) error {
	_, err := d.cli.ContainerStart(ctx, ref(c), client.ContainerStartOptions{})
	return translate("start container "+c.DockerName(), err)
}

// Stop stops c, killing it after timeout. A negative timeout uses the
// engine's default (the container's StopTimeout, 10 s); zero kills at once.
// Stopping a stopped container is a no-op.
func (d *Driver) Stop(ctx context.Context, c *model.Container, timeout time.Duration) error {
	_, err := d.cli.ContainerStop(ctx, ref(c), client.ContainerStopOptions{Timeout: seconds(timeout)})
	return translate("stop container "+c.DockerName(), err)
}

// Restart stops (as Stop) then starts c.
func (d *Driver) Restart(ctx context.Context, c *model.Container, timeout time.Duration) error {
	_, err := d.cli.ContainerRestart(ctx, ref(c), client.ContainerRestartOptions{Timeout: seconds(timeout)})
	return translate("restart container "+c.DockerName(), err)
}

// Pause freezes c; a container not running gives errdefs.ErrConflict.
func (d *Driver) Pause(ctx context.Context, c *model.Container) error {
	_, err := d.cli.ContainerPause(ctx, ref(c), client.ContainerPauseOptions{})
	return translate("pause container "+c.DockerName(), err)
}

// Unpause thaws c; a container not paused gives errdefs.ErrConflict.
func (d *Driver) Unpause(ctx context.Context, c *model.Container) error {
	_, err := d.cli.ContainerUnpause(ctx, ref(c), client.ContainerUnpauseOptions{})
	if err != nil && !cerrdefs.IsNotFound(err) && !cerrdefs.IsConflict(err) {
		// Docker 20.10 answers 500 to unpausing a container not paused.
		res, ierr := d.cli.ContainerInspect(ctx, ref(c), client.ContainerInspectOptions{})
		if ierr == nil && res.Container.State != nil && !res.Container.State.Paused {
			return fmt.Errorf("failed to unpause container %s: not paused: %w", c.DockerName(), errdefs.ErrConflict)
		}
	}
	return translate("unpause container "+c.DockerName(), err)
}

// Kill sends signal (see zunstate.ParseSignal; "" is SIGKILL) to c.
func (d *Driver) Kill(ctx context.Context, c *model.Container, signal string) error {
	sig, err := zunstate.ParseSignal(signal)
	if err != nil {
		return err
	}
	_, err = d.cli.ContainerKill(ctx, ref(c), client.ContainerKillOptions{Signal: sig.String()})
	return translate(fmt.Sprintf("kill container %s with %s", c.DockerName(), sig), err)
}

// Delete removes c with its anonymous volumes; force kills a running one.
// A container already gone is not an error.
func (d *Driver) Delete(ctx context.Context, c *model.Container, force bool) error {
	_, err := d.cli.ContainerRemove(ctx, ref(c), client.ContainerRemoveOptions{Force: force, RemoveVolumes: true})
	if cerrdefs.IsNotFound(err) {
		return nil
	}
	if cerrdefs.IsConflict(err) && d.beingRemoved(ctx, c) {
		return nil
	}
	return translate("delete container "+c.DockerName(), err)
}

// beingRemoved reports whether c is gone or already being removed (a
// delete racing with auto-remove or another delete gets 409).
func (d *Driver) beingRemoved(ctx context.Context, c *model.Container) bool {
	res, err := d.cli.ContainerInspect(ctx, ref(c), client.ContainerInspectOptions{})
	if cerrdefs.IsNotFound(err) {
		return true
	}
	return err == nil && res.Container.State != nil && res.Container.State.Status == dcontainer.StateRemoving
}

// Update changes the cpu (cores) and memory (MiB) limits of c; a zero value
// leaves that resource unchanged.
func (d *Driver) Update(ctx context.Context, c *model.Container, cpu float64, memoryMiB int64) error {
	if cpu < 0 || memoryMiB < 0 {
		return fmt.Errorf("negative cpu or memory: %w", errdefs.ErrInvalidArgument)
	}
	r := resources(cpu, memoryMiB)
	res, err := d.cli.ContainerUpdate(ctx, ref(c), client.ContainerUpdateOptions{Resources: &r})
	if err != nil {
		return translate("update container "+c.DockerName(), err)
	}
	for _, w := range res.Warnings {
		d.log.WarnContext(ctx, "docker update warning", "container", c.UUID, "warning", w)
	}
	return nil
}

// seconds converts a stop timeout; negative means the engine's default.
func seconds(timeout time.Duration) *int {
	if timeout < 0 {
		return nil
	}
	s := int(math.Ceil(timeout.Seconds()))
	return &s
}
