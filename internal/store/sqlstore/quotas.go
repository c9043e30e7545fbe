package sqlstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/zunctx"
)

// quotas implements store.Quotas.
type quotas struct{ s *Store }

var _ store.Quotas = (*quotas)(nil)

// checkProjectScope refuses a project outside the caller's scope as
// missing, so quotas never reveal other projects.
func checkProjectScope(ctx context.Context, projectID string) error {
	project, all, err := zunctx.Scope(ctx)
	if err != nil {
		return err
	}
	if projectID == "" || (!all && project != projectID) {
		return fmt.Errorf("project %q: %w", projectID, errdefs.ErrNotFound)
	}
	return nil
}

func checkLimits(l model.QuotaLimits) error {
	for r, v := range l {
		if !slices.Contains(model.QuotaResources, r) {
			return fmt.Errorf("unknown quota resource %q: %w", r, errdefs.ErrInvalidArgument)
		}
		if v < model.Unlimited {
			return fmt.Errorf("quota of %s is %d, below -1: %w", r, v, errdefs.ErrInvalidArgument)
		}
	}
	return nil
}

func readLimits(ctx context.Context, q querier, d *dialect, query string, key string) (model.QuotaLimits, error) {
	rows, err := q.query(ctx, query, key)
	if err != nil {
		return nil, d.dbError(err, "read quotas")
	}
	defer rows.Close()
	out := model.QuotaLimits{}
	for rows.Next() {
		var (
			r string
			v int64
		)
		if err := rows.Scan(&r, &v); err != nil {
			return nil, d.dbError(err, "read quotas")
		}
		out[r] = v
	}
	if err := rows.Err(); err != nil {
		return nil, d.dbError(err, "read quotas")
	}
	return out, nil
}

const (
	projectLimitsQuery = "SELECT resource, hard_limit FROM quotas WHERE project_id = ?"
	classLimitsQuery   = "SELECT resource, hard_limit FROM quota_classes WHERE class_name = ?"
	usageQuery         = `SELECT COUNT(*), COALESCE(SUM(cpu), 0), COALESCE(SUM(memory), 0), COALESCE(SUM(disk), 0)
        FROM containers WHERE project_id = ?`
)

func (qs *quotas) ProjectLimits(ctx context.Context, projectID string) (model.QuotaLimits, error) {
	if err := checkProjectScope(ctx, projectID); err != nil {
		return nil, err
	}
	return readLimits(ctx, qs.s.read, qs.s.d, projectLimitsQuery, projectID)
}

func (qs *quotas) Limits(ctx context.Context, projectID string) (model.QuotaLimits, error) {
	if err := checkProjectScope(ctx, projectID); err != nil {
		return nil, err
	}
	return effectiveLimits(ctx, qs.s.read, qs.s.d, projectID)
}

// effectiveLimits resolves every resource: override, default class,
// built-in default.
func effectiveLimits(ctx context.Context, q querier, d *dialect, projectID string) (model.QuotaLimits, error) {
	out, err := classLimits(ctx, q, d, model.DefaultQuotaClass)
	if err != nil {
		return nil, err
	}
	own, err := readLimits(ctx, q, d, projectLimitsQuery, projectID)
	if err != nil {
		return nil, err
	}
	for r, v := range own {
		out[r] = v
	}
	return out, nil
}

func classLimits(ctx context.Context, q querier, d *dialect, class string) (model.QuotaLimits, error) {
	out := model.DefaultQuotaLimits()
	set, err := readLimits(ctx, q, d, classLimitsQuery, class)
	if err != nil {
		return nil, err
	}
	for r, v := range set {
		out[r] = v
	}
	return out, nil
}

func (qs *quotas) SetProjectLimits(ctx context.Context, projectID string, l model.QuotaLimits) error {
	if err := checkProjectScope(ctx, projectID); err != nil {
		return err
	}
	if err := checkLimits(l); err != nil {
		return err
	}
	return qs.s.write.inTx(ctx, func(t *tx) error { return upsertLimits(ctx, t, qs.s.d, "quotas", projectID, l) })
}

// upsertLimits writes a project's limits into table (quotas or
// volume_quotas, which share their columns), each resource's row created
// or replaced.
func upsertLimits(ctx context.Context, t *tx, d *dialect, table, projectID string, l model.QuotaLimits) error {
	ts := micros(now())
	for r, v := range l {
		if _, err := t.exec(ctx, `INSERT INTO `+table+` (project_id, resource, hard_limit, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?) ON CONFLICT (project_id, resource)
            DO UPDATE SET hard_limit = excluded.hard_limit, updated_at = excluded.updated_at`,
			projectID, r, v, ts, ts); err != nil {
			return d.dbError(err, "set "+table)
		}
	}
	return nil
}

func (qs *quotas) DeleteProjectLimits(ctx context.Context, projectID string) error {
	if err := checkProjectScope(ctx, projectID); err != nil {
		return err
	}
	if _, err := qs.s.write.exec(ctx, "DELETE FROM quotas WHERE project_id = ?", projectID); err != nil {
		return qs.s.d.dbError(err, "delete quotas")
	}
	return nil
}

func (qs *quotas) ClassLimits(ctx context.Context, class string) (model.QuotaLimits, error) {
	if _, _, err := zunctx.Scope(ctx); err != nil {
		return nil, err
	}
	return classLimits(ctx, qs.s.read, qs.s.d, class)
}

func (qs *quotas) SetClassLimits(ctx context.Context, class string, l model.QuotaLimits) error {
	_, all, err := zunctx.Scope(ctx)
	if err != nil {
		return err
	}
	if !all {
		return fmt.Errorf("quota classes need an all-projects scope: %w", errdefs.ErrForbidden)
	}
	if class == "" {
		return fmt.Errorf("quota class with no name: %w", errdefs.ErrInvalidArgument)
	}
	if err := checkLimits(l); err != nil {
		return err
	}
	return qs.s.write.inTx(ctx, func(t *tx) error {
		ts := micros(now())
		for r, v := range l {
			if _, err := t.exec(ctx, `INSERT INTO quota_classes (class_name, resource, hard_limit, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?) ON CONFLICT (class_name, resource)
                DO UPDATE SET hard_limit = excluded.hard_limit, updated_at = excluded.updated_at`,
				class, r, v, ts, ts); err != nil {
				return qs.s.d.dbError(err, "set quota class")
			}
		}
		return nil
	})
}

func (qs *quotas) Usage(ctx context.Context, projectID string) (model.QuotaUsage, error) {
	if err := checkProjectScope(ctx, projectID); err != nil {
		return model.QuotaUsage{}, err
	}
	return usage(ctx, qs.s.read, qs.s.d, projectID)
}

func usage(ctx context.Context, q querier, d *dialect, projectID string) (model.QuotaUsage, error) {
	var u model.QuotaUsage
	if err := q.queryRow(ctx, usageQuery, projectID).Scan(&u.Containers, &u.CPU, &u.Memory, &u.Disk); err != nil {
		return u, d.dbError(err, "count quota usage")
	}
	return u, nil
}

// lockProject serializes the quota-checked writes of project until t ends.
// The upsert takes the row lock on PostgreSQL (a plain INSERT ... ON
// CONFLICT DO NOTHING would not); SQLite's write transactions are
// exclusive already. Under READ COMMITTED every later statement of t sees
// what the previous holder committed.
func lockProject(ctx context.Context, t *tx, d *dialect, projectID string) error {
	if _, err := t.exec(ctx, `INSERT INTO quota_locks (project_id, writes) VALUES (?, 1)
        ON CONFLICT (project_id) DO UPDATE SET writes = quota_locks.writes + 1`, projectID); err != nil {
		return d.dbError(err, "lock project quota")
	}
	return nil
}

// checkQuota refuses delta if it takes project beyond its limits. It
// reads nothing when delta adds nothing or every increased resource is
// unlimited.
func checkQuota(ctx context.Context, t *tx, d *dialect, projectID string, delta model.QuotaUsage) error {
	if delta.Containers <= 0 && delta.CPU <= 0 && delta.Memory <= 0 && delta.Disk <= 0 {
		return nil
	}
	if err := lockProject(ctx, t, d, projectID); err != nil {
		return err
	}
	limits, err := effectiveLimits(ctx, t, d, projectID)
	if err != nil {
		return err
	}
	if unlimitedFor(limits, delta) {
		return nil
	}
	used, err := usage(ctx, t, d, projectID)
	if err != nil {
		return err
	}
	if overs := model.Overs(limits, used, delta); len(overs) > 0 {
		return &store.OverQuotaError{Resources: overs}
	}
	return nil
}

// unlimitedFor reports whether every resource delta increases is
// unlimited, so no usage needs counting.
func unlimitedFor(l model.QuotaLimits, delta model.QuotaUsage) bool {
	for _, r := range model.QuotaResources {
		if delta.Of(r) > 0 && l[r] >= 0 {
			return false
		}
	}
	return true
}

func (cs *containers) CreateInQuota(ctx context.Context, c *model.Container) error {
	if err := prepareInsert(ctx, c); err != nil {
		return err
	}
	return cs.s.write.inTx(ctx, func(t *tx) error {
		if err := checkQuota(ctx, t, cs.s.d, c.ProjectID, model.UsageOf(c)); err != nil {
			return err
		}
		return cs.insert(ctx, t, c)
	})
}

func (cs *containers) UpdateInQuota(ctx context.Context, id string, fn func(c *model.Container) error) (*model.Container, error) {
	return cs.update(ctx, id, fn, func(t *tx, orig, upd *model.Container) error {
		return checkQuota(ctx, t, cs.s.d, orig.ProjectID, model.UsageOf(upd).Sub(model.UsageOf(orig)))
	})
}
