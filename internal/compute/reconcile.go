package compute

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
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
	var capsuleStates []container.State
	for _, s := range states {
		if s.Capsule != "" {
			// Sandboxes and members belong to capsules, reconciled below.
			capsuleStates = append(capsuleStates, s)
			continue
		}
		engine[s.UUID] = s
	}
	if startup {
		a.reconcileVolumes(ctx, records)
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
		} else {
			a.removed.add(uuid, time.Now())
		}
		unlock()
	}
	a.reconcileCapsules(ctx, startup, capsuleStates)
	a.sweepVolumes(ctx)
	a.pruneNetworks(ctx)
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
	case c.TaskState != "" && staleTask(c, time.Now()):
		// No operation of this agent holds it (the lock was free) and the
		// record has not moved for long: its operation was lost (a cast
		// that never arrived, a report the database lost in a crash).
		a.log.Warn("resuming a task no operation holds", "uuid", c.UUID, "task", c.TaskState, "updated_at", c.UpdatedAt)
		a.resume(ctx, c, st, present)
		return
	case c.TaskState != "":
		// An operation owns the state, or its cast is still on its way.
		return
	case !present:
		a.missing(ctx, c)
		return
	}
	if st.Status != c.Status || st.Detail != c.StatusDetail || st.ContainerID != c.ContainerID {
		a.sync(ctx, c.UUID, st)
	}
}

// staleTaskAge is how long a task may stand on a record no operation of
// its host holds before the reconcile resumes it: far beyond a cast's
// delivery and the clock skew between the API's hosts and the agents.
const staleTaskAge = time.Minute

func staleTask(c *model.Container, now time.Time) bool {
	return !c.UpdatedAt.IsZero() && now.Sub(c.UpdatedAt) > staleTaskAge
}

// resume finishes an operation interrupted by an agent restart.
func (a *Agent) resume(ctx context.Context, c *model.Container, st container.State, present bool) {
	switch c.TaskState {
	case api.TaskImagePulling, api.TaskContainerCreating, api.TaskContainerRebuilding:
		a.bindPorts(ctx, c)
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
		a.bindPorts(ctx, c)
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

// bindPorts asks the control plane to bind c's ports to this host before
// a resumed create or start: the engine asks the plugin for the ports when
// it starts the container, and the API, which binds them after placing the
// container, may have died before it did. A failure is logged and the
// operation goes on (it fails on its own if the plugin finds no port).
func (a *Agent) bindPorts(ctx context.Context, c *model.Container) {
	if len(c.Networks) == 0 {
		return
	}
	if err := a.cond.BindPorts(ctx, rpc.BindPortsRequest{ContainerUUID: c.UUID, Host: a.cfg.Host}); err != nil {
		a.log.Warn("failed to bind the ports of a resumed container", "uuid", c.UUID, "err", err)
	}
}

// missing applies Zun's rules to a record whose engine container is gone.
func (a *Agent) missing(ctx context.Context, c *model.Container) {
	switch {
	case c.Status == api.StatusError && c.ContainerID == "":
		// Never created (failed create): nothing to reconcile.
	case c.AutoRemove:
		if err := a.releaseMounts(ctx, c); err != nil {
			a.log.Warn("failed to release volumes", "uuid", c.UUID, "err", err)
			return
		}
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
		a.handleEvents(ctx, ch)
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

// handleEvents syncs the containers of the engine's events, and those
// whose events were deferred, one at a time (so syncs reach the conductor
// in the order of the inspects they carry), until ch closes.
func (a *Agent) handleEvents(ctx context.Context, ch <-chan container.Event) {
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return
			}
			if ev.UUID != "" {
				a.syncFromEngine(ctx, ev.UUID, ev.Action)
			}
		case <-a.deferred.wake:
			for _, uuid := range a.deferred.take() {
				a.syncFromEngine(ctx, uuid, "deferred")
			}
		}
	}
}

// syncFromEngine reports the engine's state of uuid to the conductor. While
// an operation holds the container, the event is deferred instead: the
// operation reports the state it leaves, and an inspect racing with the
// engine's start or stop would only wait for the container's lock in the
// engine and send a sync the conductor refuses (the task owns the state).
// The container is synced once the operation lets go, in case the state
// changed after the operation's last inspect.
func (a *Agent) syncFromEngine(ctx context.Context, uuid, action string) {
	if action == "die" || action == "destroy" {
		// Pending sessions of a stopped container are void; open ones end
		// with the engine's stream.
		a.grants.Revoke(uuid)
	}
	if a.locks.markIfHeld(uuid) {
		return
	}
	c := &model.Container{UUID: uuid}
	tm := a.stepTimer(ctx, "event "+action, uuid)
	st, err := a.drv.Inspect(ctx, c)
	tm.step(ctx, "engine inspect")
	if err != nil {
		if a.removed.has(uuid) {
			return // deleted by this agent, record gone: nothing to settle
		}
		// Destroyed (auto_remove, or removed behind our back): reconcile
		// now, which applies the missing-container rules to the record.
		select {
		case a.kick <- struct{}{}:
		default:
		}
		return
	}
	if st.Capsule != "" {
		a.capsuleEvent(ctx, st.Capsule)
		return
	}
	a.sync(ctx, uuid, st)
	tm.step(ctx, "sync")
}

// deferredSyncs is the set of containers to sync once released.
type deferredSyncs struct {
	mu    sync.Mutex
	uuids []string
	wake  chan struct{}
}

func (d *deferredSyncs) add(uuid string) {
	d.mu.Lock()
	if !slices.Contains(d.uuids, uuid) {
		d.uuids = append(d.uuids, uuid)
	}
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *deferredSyncs) take() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.uuids
	d.uuids = nil
	return out
}

// recentlyRemovedTTL is how long a removal is remembered: longer than its
// engine events take to arrive.
const recentlyRemovedTTL = time.Minute

// recentlyRemoved is a set of container UUIDs with the time they were
// added; entries older than recentlyRemovedTTL are dropped.
type recentlyRemoved struct {
	mu sync.Mutex
	m  map[string]time.Time
}

func (r *recentlyRemoved) add(uuid string, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string]time.Time{}
	}
	for k, t := range r.m {
		if now.Sub(t) > recentlyRemovedTTL {
			delete(r.m, k)
		}
	}
	r.m[uuid] = now
}

// has reports whether uuid was removed recently (UUIDs are never reused,
// so an entry may answer several events).
func (r *recentlyRemoved) has(uuid string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.m[uuid]
	return ok
}
