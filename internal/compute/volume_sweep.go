package compute

import (
	"context"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
)

// sweepVolumes releases what no record accounts for, after the reconcile
// removed orphan engine containers and settled the records: volumes
// attached for a container whose record is gone or whose engine container
// vanished are detached, files of volumes without a record destroyed,
// injected files of containers without a record removed, and volume
// records still attached to a container that no longer exists released
// through the conductor. The host is listed first, then the records, then
// the engine: a volume attached by a create is seen with its record (in a
// task, or present in the engine), so a concurrent create keeps it.
func (a *Agent) sweepVolumes(ctx context.Context) {
	if a.vols == nil {
		return
	}
	inv, err := a.vols.Inventory(ctx)
	if err != nil {
		a.log.Warn("failed to list host volumes", "err", err)
		return
	}
	if len(inv.Attached)+len(inv.Stored)+len(inv.FileOwners) == 0 {
		return // nothing on this host to release
	}
	vols, err := a.cond.HostVolumes(ctx, a.cfg.Host)
	if err != nil {
		a.log.Warn("failed to list host volumes", "err", err)
		return
	}
	records, err := a.cond.HostContainers(ctx, a.cfg.Host)
	if err != nil {
		a.log.Warn("failed to list host containers", "err", err)
		return
	}
	states, err := a.drv.List(ctx)
	if err != nil {
		a.log.Warn("failed to list engine containers", "err", err)
		return
	}
	engine := make(map[string]bool, len(states))
	for _, st := range states {
		engine[st.UUID] = true
	}
	owners := make(map[string]bool, len(records))
	keep := map[string]bool{} // volumes a container needs mounted
	known := map[string]bool{}
	for _, c := range records {
		owners[c.UUID] = true
		needed := c.Status != api.StatusDeleting && (engine[c.UUID] || c.TaskState != "")
		for _, m := range c.Mounts {
			if m.Type == model.MountVolume {
				known[m.VolumeID] = true
				keep[m.VolumeID] = keep[m.VolumeID] || needed
			}
		}
	}
	// Capsules own volumes too (AttachedTo is the capsule): a capsule of
	// this host keeps its volumes mounted.
	capsules, err := a.cond.HostCapsules(ctx, a.cfg.Host)
	if err != nil {
		a.log.Warn("failed to list host capsules", "err", err)
		return
	}
	for _, c := range capsules {
		owners[c.UUID] = true
		for _, v := range c.Volumes {
			if v.VolumeID != "" {
				known[v.VolumeID] = true
				keep[v.VolumeID] = true
			}
		}
	}
	released := false
	for _, v := range vols {
		known[v.UUID] = true
		if v.AttachedTo != "" && !owners[v.AttachedTo] {
			// The container's record is gone (deleted behind the agent's
			// back): the conductor releases its volumes, deleting its size=
			// ones, whose files the next sweep destroys.
			a.log.Info("releasing volumes of a vanished container", "uuid", v.AttachedTo, "volume", v.UUID)
			if err := a.cond.ContainerGone(ctx, rpc.ContainerGone{UUID: v.AttachedTo, Host: a.cfg.Host}); err != nil {
				a.log.Warn("failed to release volumes", "uuid", v.AttachedTo, "err", err)
			}
			released = true
		}
	}
	if released {
		if vols, err = a.cond.HostVolumes(ctx, a.cfg.Host); err != nil {
			a.log.Warn("failed to list host volumes", "err", err)
			return
		}
		clear(known)
		for _, c := range records {
			for _, m := range c.Mounts {
				known[m.VolumeID] = true
			}
		}
		for _, v := range vols {
			known[v.UUID] = true
		}
	}
	for _, id := range inv.Attached {
		if keep[id] {
			continue
		}
		unlock := a.locks.Lock("volume-" + id)
		a.log.Info("detaching volume no running container uses", "volume", id)
		if err := a.vols.Detach(ctx, id); err != nil {
			a.log.Warn("failed to detach volume", "volume", id, "err", err)
		}
		unlock()
	}
	for _, id := range inv.Stored {
		if known[id] || keep[id] {
			continue
		}
		unlock := a.locks.Lock("volume-" + id)
		a.log.Info("destroying volume without a record", "volume", id)
		if err := a.vols.Destroy(ctx, id); err != nil {
			a.log.Warn("failed to destroy volume", "volume", id, "err", err)
		}
		unlock()
	}
	for _, ctr := range inv.FileOwners {
		if owners[ctr] {
			continue
		}
		a.log.Info("removing files injected into a container without a record", "uuid", ctr)
		if err := a.vols.RemoveFiles(ctr); err != nil {
			a.log.Warn("failed to remove injected files", "uuid", ctr, "err", err)
		}
	}
}
