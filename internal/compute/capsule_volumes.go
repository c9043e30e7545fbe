package compute

import (
	"context"
	"errors"
	"fmt"

	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
)

// attachCapsuleVolumes attaches c's volumes (the same loop-device volumes
// containers mount), sets their HostPath for the driver and reports them
// in use. Attach is idempotent, so a resumed start, a repair and the
// start-up reconcile (after a host reboot the mounts are gone) all call it.
func (a *Agent) attachCapsuleVolumes(ctx context.Context, c *model.Capsule) error {
	if len(c.Volumes) == 0 {
		return nil
	}
	if a.vols == nil {
		return errNoVolumes
	}
	for i := range c.Volumes {
		v := &c.Volumes[i]
		p, err := a.vols.Attach(ctx, v.VolumeID, int64(v.Size))
		if err != nil {
			return fmt.Errorf("failed to attach volume %s (%s): %w", v.Name, v.VolumeID, err)
		}
		v.HostPath = p
	}
	if err := a.cond.VolumesAttached(context.WithoutCancel(ctx), rpc.VolumesAttached{ContainerUUID: c.UUID, Host: a.cfg.Host}); err != nil {
		a.log.Warn("failed to report attached capsule volumes", "capsule", c.UUID, "err", err)
	}
	return nil
}

// releaseCapsuleVolumes, once c's containers are gone, destroys the
// volumes created for it with autoRemove and detaches the others (their
// data stays); the conductor then drops or frees the records. Each step
// is idempotent, so a delete interrupted by an agent kill is finished by
// the next one.
func (a *Agent) releaseCapsuleVolumes(ctx context.Context, vols []model.CapsuleVolume) error {
	if len(vols) == 0 || a.vols == nil {
		return nil
	}
	var errs []error
	for _, v := range vols {
		if v.VolumeID == "" {
			continue
		}
		if v.AutoRemove && !v.Existing {
			errs = append(errs, a.vols.Destroy(ctx, v.VolumeID))
		} else {
			errs = append(errs, a.vols.Detach(ctx, v.VolumeID))
		}
	}
	return errors.Join(errs...)
}
