package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/zunctx"
)

// capsules implements store.Capsules like containers: indexed columns are
// copies, the data column holds the record (members included) as JSON.
type capsules struct{ s *Store }

var _ store.Capsules = (*capsules)(nil)

const capsuleSelect = "SELECT id, host, data FROM capsules"

var capsuleListing = listing{
	table:       "capsules",
	sortKeys:    []string{"id", "uuid", "name", "project_id", "user_id", "host", "status", "task_state", "created_at", "updated_at"},
	defaultSort: "id",
}

func scanCapsule(sc scanner) (*model.Capsule, error) {
	var (
		id         int64
		host, data string
	)
	if err := sc.Scan(&id, &host, &data); err != nil {
		return nil, err
	}
	c := new(model.Capsule)
	if err := json.Unmarshal([]byte(data), c); err != nil {
		return nil, fmt.Errorf("failed to decode capsule %d: %w", id, err)
	}
	c.ID, c.Host = id, host
	return c, nil
}

func normCapsule(c *model.Capsule) {
	c.CreatedAt, c.UpdatedAt = norm(c.CreatedAt), norm(c.UpdatedAt)
	for _, m := range c.Members() {
		normContainer(&m.Container)
	}
}

func (cs *capsules) Create(ctx context.Context, c *model.Capsule) error {
	project, all, err := zunctx.Scope(ctx)
	if err != nil {
		return err
	}
	if !all {
		if c.ProjectID == "" {
			c.ProjectID = project
		} else if c.ProjectID != project {
			return fmt.Errorf("capsule of project %q in the scope of project %q: %w", c.ProjectID, project, errdefs.ErrForbidden)
		}
	}
	if c.ProjectID == "" {
		return fmt.Errorf("capsule has no project: %w", errdefs.ErrInvalidArgument)
	}
	if c.UUID == "" {
		c.UUID = uuid.NewString()
	}
	t := now()
	c.ID, c.CreatedAt, c.UpdatedAt = 0, t, t
	normCapsule(c)
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("failed to encode capsule: %w", err)
	}
	err = cs.s.write.queryRow(ctx, `INSERT INTO capsules
        (uuid, project_id, user_id, name, host, status, task_state, created_at, updated_at, data)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.UUID, c.ProjectID, c.UserID, c.Name, c.Host, c.Status, c.TaskState,
		micros(c.CreatedAt), micros(c.UpdatedAt), string(data)).Scan(&c.ID)
	if err != nil {
		if cs.s.d.classify(err) == errdefs.ErrAlreadyExists {
			return fmt.Errorf("a capsule named %q or with uuid %s already exists: %w", c.Name, c.UUID, errdefs.ErrAlreadyExists)
		}
		return cs.s.d.dbError(err, "create capsule")
	}
	return nil
}

func (cs *capsules) Get(ctx context.Context, uuidOrName string) (*model.Capsule, error) {
	return lookup[model.Capsule]{s: cs.s, kind: "capsule", selectSQL: capsuleSelect, byUUID: func(sc scanner, _ string) (*model.Capsule, error) { return scanCapsule(sc) },
		scan: scanCapsule, conflict: "multiple capsules exist with same name %s, please use the capsule uuid instead"}.get(ctx, uuidOrName)
}

func (cs *capsules) List(ctx context.Context, opts store.ListOptions) ([]*model.Capsule, error) {
	cond, args, err := scope(ctx)
	if err != nil {
		return nil, err
	}
	markerCond, markerArgs, tail, err := capsuleListing.pageClause(ctx, cs.s.read, opts, cond, args)
	if err != nil {
		return nil, err
	}
	rows, err := cs.s.read.queryDynamic(ctx, capsuleSelect+" WHERE 1 = 1"+cond+markerCond+tail, append(args, markerArgs...)...)
	if err != nil {
		return nil, cs.s.d.dbError(err, "list capsules")
	}
	list, err := collect(rows, scanCapsule, cs.s.d, "list capsules")
	if err != nil {
		return nil, err
	}
	return list, nil
}

func (cs *capsules) Update(ctx context.Context, id string, fn func(c *model.Capsule) error) (*model.Capsule, error) {
	cond, args, err := scope(ctx)
	if err != nil {
		return nil, err
	}
	var out *model.Capsule
	err = cs.s.write.inTx(ctx, func(t *tx) error {
		c, err := scanCapsule(t.queryRow(ctx, capsuleSelect+" WHERE uuid = ?"+cond+cs.s.d.forUpdate, append([]any{id}, args...)...))
		if err != nil {
			if isNoRows(err) {
				return fmt.Errorf("capsule %s could not be found: %w", id, errdefs.ErrNotFound)
			}
			return cs.s.d.dbError(err, "get capsule")
		}
		orig := *c
		if err := fn(c); err != nil {
			return err
		}
		c.ID, c.UUID, c.ProjectID, c.UserID, c.CreatedAt, c.Name = orig.ID, orig.UUID, orig.ProjectID, orig.UserID, orig.CreatedAt, orig.Name
		c.UpdatedAt = now()
		normCapsule(c)
		data, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("failed to encode capsule: %w", err)
		}
		if _, err := t.exec(ctx, `UPDATE capsules SET host = ?, status = ?, task_state = ?, updated_at = ?, data = ? WHERE id = ?`,
			c.Host, c.Status, c.TaskState, micros(c.UpdatedAt), string(data), c.ID); err != nil {
			return cs.s.d.dbError(err, "update capsule")
		}
		out = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (cs *capsules) Delete(ctx context.Context, id string) error {
	cond, args, err := scope(ctx)
	if err != nil {
		return err
	}
	return cs.s.write.inTx(ctx, func(t *tx) error {
		res, err := t.exec(ctx, "DELETE FROM capsules WHERE uuid = ?"+cond, append([]any{id}, args...)...)
		if err != nil {
			return cs.s.d.dbError(err, "delete capsule")
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return cs.s.d.dbError(err, "delete capsule")
			}
			return fmt.Errorf("capsule %s could not be found: %w", id, errdefs.ErrNotFound)
		}
		if _, err := t.exec(ctx, "DELETE FROM allocations WHERE container_uuid = ?", id); err != nil {
			return cs.s.d.dbError(err, "delete allocation")
		}
		return nil
	})
}

func (cs *capsules) ListByHost(ctx context.Context, host string) ([]*model.Capsule, error) {
	rows, err := cs.s.read.query(ctx, capsuleSelect+" WHERE host = ? ORDER BY id", host)
	if err != nil {
		return nil, cs.s.d.dbError(err, "list capsules")
	}
	list, err := collect(rows, scanCapsule, cs.s.d, "list capsules")
	if err != nil {
		return nil, err
	}
	return list, nil
}
