package apiserver

import (
	"context"
	"errors"
	"fmt"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/zunctx"
)

// reserveCapsuleVolumes gives c the volumes of its template from the
// volume service, before it is scheduled: a size volume is created for it
// (reserved, removed with it when autoRemove), a volumeID volume of the
// caller's project is reserved for it (available → reserved; another
// project's is as unknown as a missing one). The capsule's uuid is the
// volumes' attachment, so the conductor and the delete release them with
// it. It returns the host holding the volumes ("" if none is placed yet),
// for the VolumeHostFilter. On error nothing stays reserved or created.
func (s *Server) reserveCapsuleVolumes(q *request, c *model.Capsule) (host string, err error) {
	vs := s.store.Volumes()
	defer func() {
		if err != nil {
			s.releaseCapsuleVolumes(q.ctx, c)
		}
	}()
	for i := range c.Volumes {
		cv := &c.Volumes[i]
		f := fmt.Sprintf("template.spec.volumes[%d].cinder", i)
		var v *model.Volume
		if !cv.Existing {
			v = &model.Volume{ProjectID: c.ProjectID, UserID: c.UserID, Size: int64(cv.Size), AutoRemove: cv.AutoRemove,
				Status: model.VolumeReserved, AttachedTo: c.UUID, Mountpoint: mountpointOf(c, cv.Name),
				Description: fmt.Sprintf("volume %s of capsule %s", cv.Name, c.UUID)}
			if err := vs.Create(q.ctx, v); err != nil {
				return "", err
			}
			cv.VolumeID = v.UUID // known to the release from now on
		} else {
			v, err = vs.Get(q.ctx, cv.VolumeID)
			switch {
			case errors.Is(err, errdefs.ErrNotFound):
				return "", invalid(f+".volumeID", "Volume %s could not be found.", cv.VolumeID)
			case errors.Is(err, errdefs.ErrConflict):
				return "", invalid(f+".volumeID", "Multiple volumes are named %s. Please use the volume id instead.", cv.VolumeID)
			case err != nil:
				return "", err
			}
			v, err = vs.Update(q.ctx, v.UUID, func(x *model.Volume) error {
				if x.Status != model.VolumeAvailable {
					return errdefs.New(errdefs.ErrConflict, fmt.Sprintf("Volume %s is %s; only an available volume can be used by a capsule.", cv.VolumeID, x.Status))
				}
				x.Status, x.AttachedTo, x.Mountpoint = model.VolumeReserved, c.UUID, mountpointOf(c, cv.Name)
				return nil
			})
			if err != nil {
				return "", err
			}
		}
		cv.VolumeID, cv.Size = v.UUID, int(v.Size)
		if v.Host != "" {
			if host != "" && host != v.Host {
				return "", invalid("template.spec.volumes", "The volumes are on different hosts (%s, %s) and cannot be used by one capsule.", host, v.Host)
			}
			host = v.Host
		}
	}
	return host, nil
}

// releaseCapsuleVolumes gives back the volumes of a capsule that never
// reached a host (refused or failed create, delete of an unplaced
// capsule): those created for it are deleted whatever their autoRemove
// (the capsule never ran, nothing can be in them), the others become
// available again.
func (s *Server) releaseCapsuleVolumes(ctx context.Context, c *model.Capsule) {
	sys := zunctx.System(ctx)
	vs := s.store.Volumes()
	for _, cv := range c.Volumes {
		if cv.Existing || cv.VolumeID == "" {
			continue
		}
		v, err := vs.Get(sys, cv.VolumeID)
		if err != nil || v.AttachedTo != c.UUID || v.Host != "" {
			continue // gone, or on a host: its agent destroys it with the capsule
		}
		if err := vs.Delete(sys, v.UUID); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			s.log.Error("failed to delete a volume of a failed capsule", "uuid", c.UUID, "volume", v.UUID, "err", err)
		}
	}
	s.releaseVolumes(ctx, c.UUID)
}

// mountpointOf is the first path a member mounts volume name at (a
// volume's record shows one mount point; members may use others).
func mountpointOf(c *model.Capsule, name string) string {
	for _, m := range c.Members() {
		for _, vm := range m.VolumeMounts {
			if vm.Name == name {
				return vm.MountPath
			}
		}
	}
	return ""
}
