package compute

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
	"github.com/openzun/zun/internal/volume/local"
)

// VolumeBackend keeps the volumes and injected files of this host
// (internal/volume/local).
type VolumeBackend interface {
	// Attach returns the host directory to bind for volume id, creating,
	// formatting, attaching and mounting it as needed (idempotent).
	Attach(ctx context.Context, id string, sizeGiB int64) (string, error)
	// Detach unmounts and frees the loop device; the data stays.
	Detach(ctx context.Context, id string) error
	// Destroy detaches and removes the data.
	Destroy(ctx context.Context, id string) error
	InjectFile(ctr string, n int, content []byte) (string, error)
	RemoveFiles(ctr string) error
	// Inventory lists the volumes and injected files present.
	Inventory(ctx context.Context) (local.Inventory, error)
}

var errNoVolumes = errors.New("this compute host has no volume backend")

// prepareMounts attaches c's volumes and writes its injected files,
// setting each mount's HostPath for the driver, and reports the volumes
// in use.
func (a *Agent) prepareMounts(ctx context.Context, c *model.Container) error {
	if len(c.Mounts) == 0 {
		return nil
	}
	if a.vols == nil {
		return errNoVolumes
	}
	volumes := false
	for i := range c.Mounts {
		m := &c.Mounts[i]
		switch m.Type {
		case model.MountVolume:
			p, err := a.vols.Attach(ctx, m.VolumeID, m.Size)
			if err != nil {
				return fmt.Errorf("failed to attach volume %s: %w", m.VolumeID, err)
			}
			m.HostPath, volumes = p, true
		case model.MountBind:
			content, err := base64.StdEncoding.DecodeString(m.Content)
			if err != nil {
				return fmt.Errorf("failed to decode the file injected at %s: %w", m.Destination, err)
			}
			if m.HostPath, err = a.vols.InjectFile(c.UUID, i, content); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unknown mount type %q", m.Type)
		}
	}
	if volumes {
		if err := a.cond.VolumesAttached(ctx, rpc.VolumesAttached{ContainerUUID: c.UUID, Host: a.cfg.Host}); err != nil {
			a.log.Warn("failed to report attached volumes", "uuid", c.UUID, "err", err)
		}
	}
	return nil
}

// releaseMounts detaches c's volumes (destroying those created for it)
// and removes its injected files, once its engine container is gone.
func (a *Agent) releaseMounts(ctx context.Context, c *model.Container) error {
	if len(c.Mounts) == 0 || a.vols == nil {
		return nil
	}
	var errs []error
	for _, m := range c.Mounts {
		if m.Type != model.MountVolume {
			continue
		}
		if m.AutoRemove {
			errs = append(errs, a.vols.Destroy(ctx, m.VolumeID))
		} else {
			errs = append(errs, a.vols.Detach(ctx, m.VolumeID))
		}
	}
	errs = append(errs, a.vols.RemoveFiles(c.UUID))
	return errors.Join(errs...)
}

// opVolumeDelete destroys a volume's backing file and drops its record.
func (a *Agent) opVolumeDelete(ctx context.Context, req rpc.ContainerRequest) (any, error) {
	unlock := a.locks.Lock("volume-" + req.VolumeID)
	defer unlock()
	a.destroyVolume(ctx, req.VolumeID)
	return nil, nil
}

func (a *Agent) destroyVolume(ctx context.Context, id string) {
	if a.vols == nil {
		return
	}
	if err := a.vols.Destroy(ctx, id); err != nil {
		a.log.Warn("failed to destroy volume", "volume", id, "err", err)
		return
	}
	if err := a.cond.VolumeGone(ctx, rpc.VolumeGone{VolumeID: id, Host: a.cfg.Host}); err != nil {
		a.log.Warn("failed to report destroyed volume", "volume", id, "err", err)
	}
}

// reconcileVolumes, at start-up, finishes the volume deletions accepted
// while the agent was down, and mounts again the volumes of this host's
// containers (after a host reboot the mounts are gone) before anything
// starts them.
func (a *Agent) reconcileVolumes(ctx context.Context, records []model.Container) {
	if a.vols == nil {
		return
	}
	vols, err := a.cond.HostVolumes(ctx, a.cfg.Host)
	if err != nil {
		a.log.Warn("failed to list host volumes", "err", err)
	}
	for _, v := range vols {
		if v.Status == model.VolumeDeleting {
			a.destroyVolume(ctx, v.UUID)
		}
	}
	for i := range records {
		c := &records[i]
		if len(c.Mounts) == 0 || c.Status == api.StatusDeleting || c.ContainerID == "" {
			continue
		}
		if err := a.prepareMounts(ctx, c); err != nil {
			a.log.Warn("failed to mount volumes again", "uuid", c.UUID, "err", err)
		}
	}
}
