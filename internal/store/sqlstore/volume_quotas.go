package sqlstore

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
)

const (
	volumeLimitsQuery = "SELECT resource, hard_limit FROM volume_quotas WHERE project_id = ?"
	volumeUsageQuery  = "SELECT COUNT(*), CAST(COALESCE(SUM(size_gb), 0) AS BIGINT) FROM volumes WHERE project_id = ?"
)

func volumeLimits(ctx context.Context, q querier, d *dialect, projectID string) (model.QuotaLimits, error) {
	out := model.DefaultVolumeQuotaLimits()
	own, err := readLimits(ctx, q, d, volumeLimitsQuery, projectID)
	if err != nil {
		return nil, err
	}
	maps.Copy(out, own)
	return out, nil
}

func volumeUsage(ctx context.Context, q querier, d *dialect, projectID string) (model.VolumeUsage, error) {
	var u model.VolumeUsage
	if err := q.queryRow(ctx, volumeUsageQuery, projectID).Scan(&u.Volumes, &u.Gigabytes); err != nil {
		return u, d.dbError(err, "count volume usage")
	}
	return u, nil
}

func (vs *volumes) Quota(ctx context.Context, projectID string) (model.QuotaLimits, model.VolumeUsage, error) {
	if err := checkProjectScope(ctx, projectID); err != nil {
		return nil, model.VolumeUsage{}, err
	}
	l, err := volumeLimits(ctx, vs.s.read, vs.s.d, projectID)
	if err != nil {
		return nil, model.VolumeUsage{}, err
	}
	u, err := volumeUsage(ctx, vs.s.read, vs.s.d, projectID)
	return l, u, err
}

func (vs *volumes) SetQuota(ctx context.Context, projectID string, l model.QuotaLimits) error {
	if err := checkProjectScope(ctx, projectID); err != nil {
		return err
	}
	for r, v := range l {
		if !slices.Contains(model.VolumeQuotaResources, r) {
			return fmt.Errorf("unknown volume quota resource %q: %w", r, errdefs.ErrInvalidArgument)
		}
		if v < model.Unlimited {
			return fmt.Errorf("quota of %s is %d, below -1: %w", r, v, errdefs.ErrInvalidArgument)
		}
	}
	return vs.s.write.inTx(ctx, func(t *tx) error { return upsertLimits(ctx, t, vs.s.d, "volume_quotas", projectID, l) })
}

// CreateInQuota locks the project's quota row (shared with container
// quotas: both are per-project decisions), counts its volumes and inserts
// v if both limits allow it.
func (vs *volumes) CreateInQuota(ctx context.Context, v *model.Volume) error {
	if err := prepareVolume(ctx, v); err != nil {
		return err
	}
	return vs.s.write.inTx(ctx, func(t *tx) error {
		if err := lockProject(ctx, t, vs.s.d, v.ProjectID); err != nil {
			return err
		}
		l, err := volumeLimits(ctx, t, vs.s.d, v.ProjectID)
		if err != nil {
			return err
		}
		u, err := volumeUsage(ctx, t, vs.s.d, v.ProjectID)
		if err != nil {
			return err
		}
		if lim := l[model.VolumeQuotaGigabytes]; lim >= 0 && u.Gigabytes+v.Size > lim {
			return &store.VolumeOverQuotaError{Resource: model.VolumeQuotaGigabytes, Requested: v.Size, Quota: lim, Consumed: u.Gigabytes}
		}
		if lim := l[model.VolumeQuotaVolumes]; lim >= 0 && u.Volumes+1 > lim {
			return &store.VolumeOverQuotaError{Resource: model.VolumeQuotaVolumes, Requested: 1, Quota: lim, Consumed: u.Volumes}
		}
		return vs.insert(ctx, t, v)
	})
}
