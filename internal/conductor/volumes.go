package conductor

import (
	"context"
	"errors"
	"fmt"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
	"github.com/openzun/zun/internal/store"
)

// volumesAttached marks the volumes reserved for a container (or a
// capsule) in use, once its agent attached them; only its own host may
// say so.
func (c *Conductor) volumesAttached(ctx context.Context, r rpc.VolumesAttached) (any, error) {
	host, err := c.attachmentHost(ctx, r.ContainerUUID)
	if err != nil {
		return nil, err
	}
	if host != r.Host {
		return nil, fmt.Errorf("%s: %w", errNotOwner.Error(), errdefs.ErrForbidden)
	}
	vols, err := c.st.Volumes().ListAttached(ctx, r.ContainerUUID)
	if err != nil {
		return nil, err
	}
	for _, v := range vols {
		_, err := c.st.Volumes().Update(ctx, v.UUID, func(x *model.Volume) error {
			if x.AttachedTo != r.ContainerUUID {
				return nil
			}
			x.Status, x.Host = model.VolumeInUse, r.Host
			return nil
		})
		if err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			return nil, err
		}
	}
	return nil, nil
}

// attachmentHost is the host of the container or capsule uuid volumes
// are attached to.
func (c *Conductor) attachmentHost(ctx context.Context, uuid string) (string, error) {
	ct, err := c.st.Containers().Get(ctx, uuid)
	if err == nil {
		return ct.Host, nil
	}
	if !errors.Is(err, errdefs.ErrNotFound) {
		return "", err
	}
	cp, err := c.st.Capsules().Get(ctx, uuid)
	if err != nil {
		return "", err
	}
	return cp.Host, nil
}

// releaseVolumes detaches the volumes of a deleted container.
func (c *Conductor) releaseVolumes(ctx context.Context, containerUUID string) error {
	return store.ReleaseContainerVolumes(ctx, c.st.Volumes(), containerUUID)
}

// releaseOrphanVolumes releases the volumes the reporting host holds for
// a container that has no record: its size= volumes are deleted, the
// others become available.
func (c *Conductor) releaseOrphanVolumes(ctx context.Context, g rpc.ContainerGone) error {
	vols, err := c.st.Volumes().ListAttached(ctx, g.UUID)
	if err != nil {
		return err
	}
	for _, v := range vols {
		if v.Host != g.Host {
			return nil // another host's container: not the reporter's to release
		}
	}
	if len(vols) == 0 {
		return nil
	}
	if err := c.releaseVolumes(ctx, g.UUID); err != nil {
		return err
	}
	if c.sched != nil {
		c.sched.Invalidate()
	}
	return nil
}

// volumeGone drops the record of a volume its host destroyed.
func (c *Conductor) volumeGone(ctx context.Context, g rpc.VolumeGone) (any, error) {
	v, err := c.st.Volumes().Get(ctx, g.VolumeID)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if v.Host != g.Host {
		return nil, fmt.Errorf("volume is not held by the reporting host: %w", errdefs.ErrForbidden)
	}
	if v.Status != model.VolumeDeleting {
		return nil, fmt.Errorf("volume %s is %s, not deleting: %w", v.UUID, v.Status, errdefs.ErrConflict)
	}
	if err := c.st.Volumes().Delete(ctx, v.UUID); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
		return nil, err
	}
	if c.sched != nil {
		c.sched.Invalidate()
	}
	return nil, nil
}

func (c *Conductor) hostVolumes(ctx context.Context, r rpc.HostContainersRequest) (any, error) {
	list, err := c.st.Volumes().ListByHost(ctx, r.Host)
	if err != nil {
		return nil, err
	}
	out := rpc.HostVolumesReply{Volumes: make([]model.Volume, 0, len(list))}
	for _, v := range list {
		out.Volumes = append(out.Volumes, *v)
	}
	return out, nil
}
