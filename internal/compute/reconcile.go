package compute

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
)

// reconcile settles every difference between the conductor's records of
// this host and the engine, per Zun's rules (sync_container_state and
// init_containers), improved: an interrupted create is resumed rather than
// failed, auto_heal really rebuilds, and engine containers without a
// record are removed so nothing is orphaned.
func (a *Agent) reconcile(ctx context.Context, startup bool) error {
	records, err := a.cond.HostContainers(ctx, a.cfg.Host)
	if err != nil {
		return fmt.Errorf("failed to list host containers: %w", err)
	}
	states, err := a.drv.List(ctx)
	if err != nil {
		return fmt.Errorf("failed to list engine containers: %w", err)
	}
	engine := make(map[string]container.State, len(states))
	for _, s := range states {
		engine[s.UUID] = s
	}
	known := make(map[string]bool, len(records))
	for i := range records {
		c := &records[i]
		known[c.UUID] = true
		unlock, ok := a.locks.TryLock(c.UUID)
		if !ok {
			continue // an operation is running on it
		}
		st, present := engine[c.UUID]
		a.reconcileOne(ctx, c, st, present, startup)
		unlock()
	}
	for uuid, st := range engine {
		if known[uuid] {
			continue
		}
		unlock, ok := a.locks.TryLock(uuid)
		if !ok {
			continue
		}
		// Re-check: a create may have been accepted since the listing.
		if _, err := a.conductorHas(ctx, uuid); err == nil {
			unlock()
			continue
		}
		a.log.Info("removing orphan engine container", "uuid", uuid, "id", st.ContainerID)
		if err := a.drv.Delete(ctx, &model.Container{UUID: uuid, ContainerID: st.ContainerID}, true); err != nil {
			a.log.Warn("failed to remove orphan", "uuid", uuid, "err", err)
		}
		unlock()
	}
	return nil
}

// conductorHas reports whether the conductor still has a record of uuid on
// this host.
func (a *Agent) conductorHas(ctx context.Context, uuid string) (bool, error) {
	records, err := a.cond.HostContainers(ctx, a.cfg.Host)
	if err != nil {
		return false, err
	}
	for _, c := range records {
		if c.UUID == uuid {
			return true, nil
		}
	}
	return false, errors.New("not found")
}

func (a *Agent) reconcileOne(ctx context.Context, c *model.Container, st container.State, present, startup bool) {
	switch {
	case c.Status == api.StatusDeleting || c.TaskState == api.TaskContainerDeleting:
		// A delete was accepted; finish it (force, as Zun's init does).
		if startup || !present {
			_ = a.remove(ctx, c, true, false)
		}
		return
	case c.TaskState != "" && startup:
		a.resume(ctx, c, st, present)
		return
	case c.TaskState != "":
		// An operation owns the state; a stale one is resumed at start-up.
		return
	case !present:
		a.missing(ctx, c)
		return
	}
	if st.Status != c.Status || st.Detail != c.StatusDetail || st.ContainerID != c.ContainerID {
		a.sync(ctx, c.UUID, st)
	}
}

// resume finishes an operation interrupted by an agent restart.
func (a *Agent) resume(ctx context.Context, c *model.Container, st container.State, present bool) {
	switch c.TaskState {
	case api.TaskImagePulling, api.TaskContainerCreating, api.TaskContainerRebuilding:
		if !present {
			a.log.Info("resuming interrupted create", "uuid", c.UUID)
			_ = a.create(ctx, c, c.TaskState)
			return
		}
		if c.Run && st.Status == api.StatusCreated {
			a.update(ctx, rpc.ContainerUpdate{UUID: c.UUID, TaskState: ptr(api.TaskContainerStarting)})
			err := a.drv.Start(ctx, c)
			a.settle(ctx, c, api.TaskContainerStarting, err)
			return
		}
		a.settle(ctx, c, c.TaskState, nil)
	case api.TaskContainerStarting:
		var err error
		if present && st.Status != api.StatusRunning {
			err = a.drv.Start(ctx, c)
		}
		a.settle(ctx, c, c.TaskState, err)
	default:
		// stop, pause, kill...: the engine's state is the truth now.
		a.settle(ctx, c, c.TaskState, nil)
	}
}

// missing applies Zun's rules to a record whose engine container is gone.
func (a *Agent) missing(ctx context.Context, c *model.Container) {
	switch {
	case c.Status == api.StatusError && c.ContainerID == "":
		// Never created (failed create): nothing to reconcile.
	case c.AutoRemove:
		_ = a.cond.ContainerGone(ctx, rpc.ContainerGone{UUID: c.UUID, Host: a.cfg.Host})
	case c.AutoHeal:
		a.log.Info("auto-healing missing container", "uuid", c.UUID)
		run := c.Status == api.StatusRunning || c.Run
		a.update(ctx, rpc.ContainerUpdate{UUID: c.UUID, Status: ptr(api.StatusRebuilding), TaskState: ptr(api.TaskContainerRebuilding)})
		_ = a.rebuild(ctx, c, "", "", run, nil)
	case c.Status != api.StatusError || c.StatusReason != "No such container":
		a.update(ctx, rpc.ContainerUpdate{UUID: c.UUID, Status: ptr(api.StatusError), StatusReason: ptr("No such container")})
	}
}

func (a *Agent) sync(ctx context.Context, uuid string, st container.State) {
	if err := a.cond.SyncContainer(ctx, rpc.ContainerSync{UUID: uuid, Host: a.cfg.Host, State: st}); err != nil {
		a.log.Warn("failed to sync container", "uuid", uuid, "err", err)
	}
}

// followEvents forwards engine events as state syncs until ctx ends,
// reconnecting (and reconciling, since events may have been missed) when
// the stream breaks, as it does when the engine restarts.
func (a *Agent) followEvents(ctx context.Context) {
	backoff := time.Second
	for ctx.Err() == nil {
		ch, err := a.drv.Events(ctx)
		if err != nil {
			a.log.Warn("failed to follow engine events", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 30*time.Second)
			continue
		}
		backoff = time.Second
		for ev := range ch {
			a.onEvent(ctx, ev)
		}
		if ctx.Err() != nil {
			return
		}
		a.log.Warn("engine event stream ended; reconnecting")
		time.Sleep(time.Second)
		if err := a.reconcile(ctx, false); err != nil {
			a.log.Warn("reconcile after event stream loss failed", "err", err)
		}
	}
}

func (a *Agent) onEvent(ctx context.Context, ev container.Event) {
	if ev.UUID == "" {
		return
	}
	c := &model.Container{UUID: ev.UUID}
	st, err := a.drv.Inspect(ctx, c)
	if err != nil {
		// Destroyed (auto_remove, or removed behind our back): reconcile
		// now, which applies the missing-container rules to the record.
		select {
		case a.kick <- struct{}{}:
		default:
		}
		return
	}
	a.sync(ctx, ev.UUID, st)
}
