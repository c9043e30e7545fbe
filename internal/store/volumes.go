package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

// Volumes stores the volumes of the local volume backend. Scoping is the
// caller's project as for containers; another project's volume is
// errdefs.ErrNotFound.
type Volumes interface {
	// Create inserts v, setting ID, UUID (if empty), CreatedAt, UpdatedAt.
	Create(ctx context.Context, v *model.Volume) error
	// Get finds by UUID, then by name within scope. Several volumes of that
	// name give errdefs.ErrConflict; none errdefs.ErrNotFound.
	Get(ctx context.Context, uuidOrName string) (*model.Volume, error)
	// List lists within scope, oldest first (Marker and Limit page it).
	List(ctx context.Context, opts ListOptions) ([]*model.Volume, error)
	// Update runs fn on the current record in one transaction and writes
	// the result; fn's error aborts and is returned as is.
	Update(ctx context.Context, uuid string, fn func(v *model.Volume) error) (*model.Volume, error)
	// Delete removes the record. Missing: errdefs.ErrNotFound.
	Delete(ctx context.Context, uuid string) error
	// ListAttached lists the volumes attached to (or reserved for) a
	// container, unscoped (for the conductor).
	ListAttached(ctx context.Context, containerUUID string) ([]*model.Volume, error)
	// ListByHost lists the volumes held by host, unscoped (for the
	// conductor).
	ListByHost(ctx context.Context, host string) ([]*model.Volume, error)
	// CreateInQuota is Create in one transaction that first locks the
	// project's quota row and refuses (*VolumeOverQuotaError) a volume
	// taking the project beyond its volumes or gigabytes limit.
	CreateInQuota(ctx context.Context, v *model.Volume) error
	// Quota returns the effective volume limits of project (override,
	// else model.DefaultVolumeQuotaLimits) and what its volumes use.
	Quota(ctx context.Context, projectID string) (model.QuotaLimits, model.VolumeUsage, error)
	// SetQuota creates or replaces project's volume limit overrides.
	SetQuota(ctx context.Context, projectID string, l model.QuotaLimits) error
}

// VolumeOverQuotaError refuses a volume beyond its project's limit. Its
// text is Cinder's VolumeSizeExceedsAvailableQuota or VolumeLimitExceeded.
type VolumeOverQuotaError struct {
	// Resource is model.VolumeQuotaGigabytes or model.VolumeQuotaVolumes.
	Resource                   string
	Requested, Quota, Consumed int64
}

func (e *VolumeOverQuotaError) Error() string {
	if e.Resource == model.VolumeQuotaVolumes {
		return fmt.Sprintf("VolumeLimitExceeded: Maximum number of volumes allowed (%d) exceeded for quota 'volumes'.", e.Quota)
	}
	return fmt.Sprintf("VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested %dG, quota is %dG and %dG has been consumed.",
		e.Requested, e.Quota, e.Consumed)
}

// Unwrap gives the category.
func (e *VolumeOverQuotaError) Unwrap() error { return errdefs.ErrQuotaExceeded }

// ReleaseContainerVolumes detaches the volumes of a deleted container in
// the records: those it created (size= mounts) are deleted with it, the
// others become available again. The host's files are the agent's job.
func ReleaseContainerVolumes(ctx context.Context, vs Volumes, containerUUID string) error {
	vols, err := vs.ListAttached(ctx, containerUUID)
	if err != nil {
		return err
	}
	for _, v := range vols {
		if v.AutoRemove {
			err = vs.Delete(ctx, v.UUID)
		} else {
			_, err = vs.Update(ctx, v.UUID, func(x *model.Volume) error {
				if x.AttachedTo == containerUUID {
					x.Status, x.AttachedTo, x.Mountpoint = model.VolumeAvailable, "", ""
				}
				return nil
			})
		}
		if err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			return err
		}
	}
	return nil
}
