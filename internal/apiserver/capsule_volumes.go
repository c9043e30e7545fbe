package apiserver

import (
	"errors"
	"fmt"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
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
			s.releaseVolumes(q.ctx, c.UUID)
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
