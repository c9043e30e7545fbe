package fake

import (
	"context"
	"fmt"
	"time"

	"github.com/openzun/zun/internal/container/docker/zunstate"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

func conflict(c *model.Container, what string) error {
	return fmt.Errorf("container %s %s: %w", c.DockerName(), what, errdefs.ErrConflict)
}

// Start runs a created or stopped container; a running one is left as is.
func (d *Driver) Start(ctx context.Context, c *model.Container) error {
	if err := sleep(ctx, d.opts.StartDelay); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.lookup(c)
	if err != nil {
		return err
	}
	switch {
	case e.eng.Paused:
		return conflict(c, "is paused, unpause it instead")
	case e.eng.Running:
		return nil
	}
	d.run(e)
	return nil
}

// run marks e running. Caller holds d.mu.
func (d *Driver) run(e *entry) {
	e.eng = zunstate.Engine{Status: "running", Running: true, StartedAt: d.opts.Now().UTC(), FinishedAt: e.eng.FinishedAt}
	d.publish(e, "start")
}

// exit marks e exited with code and removes it when auto-remove is set.
// Caller holds d.mu.
func (d *Driver) exit(e *entry, code int, reason string) {
	e.eng = zunstate.Engine{
		Status: "exited", ExitCode: code, Error: reason,
		StartedAt: e.eng.StartedAt, FinishedAt: d.opts.Now().UTC(),
	}
	d.publish(e, "die")
	if e.c.AutoRemove {
		d.remove(e)
	}
}

// Stop ends a running or paused container with exit code 0 (fake
// processes honour SIGTERM); a stopped one is left as is.
func (d *Driver) Stop(_ context.Context, c *model.Container, _ time.Duration) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.lookup(c)
	if err != nil {
		return err
	}
	if !e.eng.Running {
		return nil
	}
	d.publish(e, "kill")
	d.exit(e, 0, "")
	d.publish(e, "stop")
	return nil
}

// Restart stops c if it runs, then starts it.
func (d *Driver) Restart(ctx context.Context, c *model.Container, _ time.Duration) error {
	if err := sleep(ctx, d.opts.StartDelay); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.lookup(c)
	if err != nil {
		return err
	}
	if e.eng.Running {
		e.eng.Running, e.eng.Paused = false, false
		e.eng.FinishedAt = d.opts.Now().UTC()
		d.publish(e, "die")
	}
	d.run(e)
	d.publish(e, "restart")
	return nil
}

// Pause freezes a running container.
func (d *Driver) Pause(_ context.Context, c *model.Container) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.lookup(c)
	if err != nil {
		return err
	}
	switch {
	case !e.eng.Running:
		return conflict(c, "is not running")
	case e.eng.Paused:
		return conflict(c, "is already paused")
	}
	e.eng.Paused, e.eng.Status = true, "paused"
	d.publish(e, "pause")
	return nil
}

// Unpause thaws a paused container.
func (d *Driver) Unpause(_ context.Context, c *model.Container) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.lookup(c)
	if err != nil {
		return err
	}
	if !e.eng.Paused {
		return conflict(c, "is not paused")
	}
	e.eng.Paused, e.eng.Status = false, "running"
	d.publish(e, "unpause")
	return nil
}

// Kill signals a running container. Signals whose default action ends a
// process stop it with exit code 128+signal; the others are delivered and
// ignored.
func (d *Driver) Kill(_ context.Context, c *model.Container, signal string) error {
	sig, err := zunstate.ParseSignal(signal)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.lookup(c)
	if err != nil {
		return err
	}
	switch {
	case !e.eng.Running:
		return conflict(c, "is not running")
	case e.eng.Paused:
		return conflict(c, "is paused")
	}
	d.publish(e, "kill")
	if sig.Terminates() {
		d.exit(e, 128+sig.Number, "")
	}
	return nil
}

// Delete removes c; a running or paused one needs force. Missing is fine.
func (d *Driver) Delete(_ context.Context, c *model.Container, force bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.lookup(c)
	if err != nil {
		return nil
	}
	if e.eng.Running {
		if !force {
			return conflict(c, "is running, stop it or force the removal")
		}
		e.eng.Running, e.eng.Paused, e.eng.Status = false, false, "exited"
		e.eng.ExitCode, e.eng.FinishedAt = 137, d.opts.Now().UTC()
		d.publish(e, "kill")
		d.publish(e, "die")
	}
	d.remove(e)
	return nil
}

// Update changes the cpu and memory of c; zero leaves a value unchanged.
func (d *Driver) Update(_ context.Context, c *model.Container, cpu float64, memoryMiB int64) error {
	if cpu < 0 || memoryMiB < 0 {
		return fmt.Errorf("negative cpu or memory: %w", errdefs.ErrInvalidArgument)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.lookup(c)
	if err != nil {
		return err
	}
	if cpu > 0 {
		e.c.CPU = cpu
	}
	if memoryMiB > 0 {
		e.c.Memory = memoryMiB
	}
	d.publish(e, "update")
	return nil
}

// Exit simulates c's process ending on its own with code; a non-empty
// reason is reported as the engine's error. It fails like Kill when c is
// not running.
func (d *Driver) Exit(c *model.Container, code int, reason string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.lookup(c)
	if err != nil {
		return err
	}
	if !e.eng.Running {
		return conflict(c, "is not running")
	}
	d.exit(e, code, reason)
	return nil
}

// Resources returns the cpu and memory c currently has.
func (d *Driver) Resources(c *model.Container) (cpu float64, memoryMiB int64, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.lookup(c)
	if err != nil {
		return 0, 0, err
	}
	return e.c.CPU, e.c.Memory, nil
}
