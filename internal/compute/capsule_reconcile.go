package compute

import (
	"context"
	"errors"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/model"
)

// reconcileCapsules settles the capsules of this host against the engine,
// given the engine's capsule containers (sandboxes and members): a delete
// accepted while the agent was away is finished; a start interrupted by
// an agent restart is resumed (every step is idempotent), so it converges
// to Running or Error; a capsule without an operation is re-read and
// repaired (capsule_repair.go); and containers of capsules without a
// record are removed.
func (a *Agent) reconcileCapsules(ctx context.Context, startup bool, states []container.State) {
	if _, err := a.capsuleDriver(); err != nil {
		return
	}
	records, err := a.cond.HostCapsules(ctx, a.cfg.Host)
	if err != nil {
		// Without the records nothing can be called an orphan.
		a.log.Warn("failed to list host capsules", "err", err)
		return
	}
	known := make(map[string]bool, len(records))
	for i := range records {
		c := &records[i]
		known[c.UUID] = true
		unlock, ok := a.locks.TryLock(c.UUID)
		if !ok {
			continue // an operation is running on it
		}
		if startup && c.TaskState == api.TaskContainerCreating && c.Status != api.StatusDeleting {
			// Resumed in the background: init containers may run for
			// long, and the agent must become ready meanwhile.
			a.wg.Add(1)
			go func(c model.Capsule) {
				defer a.wg.Done()
				defer unlock()
				a.caps.remember(&c)
				a.log.Info("resuming interrupted capsule start", "capsule", c.UUID)
				sctx, done := a.caps.startCtx(ctx, c.UUID)
				defer done()
				a.startCapsule(sctx, &c)
			}(*c)
			continue
		}
		a.reconcileCapsule(ctx, c, startup)
		unlock()
	}
	orphans := map[string][]container.State{}
	for _, s := range states {
		if !known[s.Capsule] {
			orphans[s.Capsule] = append(orphans[s.Capsule], s)
		}
	}
	for uuid, list := range orphans {
		a.removeOrphanCapsule(ctx, uuid, list)
	}
}

func (a *Agent) reconcileCapsule(ctx context.Context, c *model.Capsule, startup bool) {
	a.caps.remember(c)
	switch {
	case c.Status == api.StatusDeleting || c.TaskState == api.TaskContainerDeleting:
		// Teardown is idempotent; a delete cast racing with this one
		// finds nothing left to do.
		_ = a.removeCapsule(ctx, c)
	case c.TaskState != "" && startup:
		a.log.Info("resuming interrupted capsule start", "capsule", c.UUID)
		ctx, done := a.caps.startCtx(ctx, c.UUID)
		a.startCapsule(ctx, c)
		done()
	case c.TaskState != "":
		// An operation owns it.
	case c.Status == api.StatusError && c.SandboxID == "":
		// Failed before anything ran: nothing to re-read.
	default:
		if startup && c.SandboxID != "" {
			// After a host reboot the volumes are not mounted; members
			// the engine restarts fail until they are.
			if err := a.attachCapsuleVolumes(ctx, c); err != nil {
				a.log.Warn("failed to mount capsule volumes again", "capsule", c.UUID, "err", err)
			}
		}
		a.repairCapsule(ctx, c)
		a.reportCapsule(ctx, c, "", "")
	}
}

// removeOrphanCapsule removes what a capsule without a record left on the
// engine, after checking again that no create was accepted meanwhile.
func (a *Agent) removeOrphanCapsule(ctx context.Context, uuid string, states []container.State) {
	unlock, ok := a.locks.TryLock(uuid)
	if !ok {
		return
	}
	defer unlock()
	records, err := a.cond.HostCapsules(ctx, a.cfg.Host)
	if err != nil {
		return
	}
	for _, c := range records {
		if c.UUID == uuid {
			return
		}
	}
	a.log.Info("removing orphan capsule", "capsule", uuid, "containers", len(states))
	members := make([]*model.Member, 0, len(states))
	for _, s := range states {
		if s.UUID != uuid {
			members = append(members, &model.Member{Container: model.Container{UUID: s.UUID, ContainerID: s.ContainerID}})
		}
	}
	// A capsule's volumes are released by its delete, which needs its
	// record; none is left to an orphan (records go after teardown).
	if err := a.teardown(ctx, uuid, members, nil); err != nil && !errors.Is(err, context.Canceled) {
		a.log.Warn("failed to remove orphan capsule", "capsule", uuid, "err", err)
	}
	a.caps.forget(uuid)
}
