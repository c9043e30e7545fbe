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

// containers implements store.Containers. The indexed columns are copies of
// model fields for filtering and sorting; the data column holds the whole
// record as JSON. The id and host columns win over the JSON on read.
type containers struct {
	s     *Store
	cache decodeCache // of Get
}

var _ store.Containers = (*containers)(nil)

const containerSelect = "SELECT id, host, data FROM containers"

// scope returns the SQL condition limiting containers to the caller's
// project (" AND project_id = ?" with its argument), or nothing.
func scope(ctx context.Context) (cond string, args []any, err error) {
	project, all, err := zunctx.Scope(ctx)
	if err != nil {
		return "", nil, err
	}
	if all {
		return "", nil, nil
	}
	return " AND project_id = ?", []any{project}, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanContainer(sc scanner) (*model.Container, error) {
	var (
		id         int64
		host, data string
	)
	if err := sc.Scan(&id, &host, &data); err != nil {
		return nil, err
	}
	c := new(model.Container)
	if err := json.Unmarshal([]byte(data), c); err != nil {
		return nil, fmt.Errorf("failed to decode container %d: %w", id, err)
	}
	c.ID, c.Host = id, host
	return c, nil
}

// scanCached is scanContainer for a row of container uuid, decoding the
// record through the cache.
func (cs *containers) scanCached(sc scanner, uuid string) (*model.Container, error) {
	var (
		id         int64
		host, data string
	)
	if err := sc.Scan(&id, &host, &data); err != nil {
		return nil, err
	}
	c, err := cs.cache.decode(uuid, data)
	if err != nil {
		return nil, err
	}
	c.ID, c.Host = id, host
	return c, nil
}

func normContainer(c *model.Container) {
	c.CreatedAt, c.UpdatedAt, c.StartedAt = norm(c.CreatedAt), norm(c.UpdatedAt), norm(c.StartedAt)
}

func (cs *containers) Create(ctx context.Context, c *model.Container) error {
	if err := prepareInsert(ctx, c); err != nil {
		return err
	}
	return cs.insert(ctx, cs.s.write, c)
}

// prepareInsert checks c's project against the scope and fills the
// fields Create sets.
func prepareInsert(ctx context.Context, c *model.Container) error {
	project, all, err := zunctx.Scope(ctx)
	if err != nil {
		return err
	}
	if !all {
		if c.ProjectID == "" {
			c.ProjectID = project
		} else if c.ProjectID != project {
			return fmt.Errorf("container of project %q in the scope of project %q: %w", c.ProjectID, project, errdefs.ErrForbidden)
		}
	}
	if c.ProjectID == "" {
		return fmt.Errorf("container has no project: %w", errdefs.ErrInvalidArgument)
	}
	if c.UUID == "" {
		c.UUID = uuid.NewString()
	}
	t := now()
	c.ID, c.CreatedAt, c.UpdatedAt = 0, t, t
	normContainer(c)
	return nil
}

// insert writes the prepared c through q (the pool or a transaction).
func (cs *containers) insert(ctx context.Context, q querier, c *model.Container) error {
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("failed to encode container: %w", err)
	}
	err = q.queryRow(ctx, `INSERT INTO containers
        (uuid, project_id, user_id, name, image, host, status, task_state, memory, cpu, disk, auto_remove, created_at, updated_at, data, idempotency_key)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.UUID, c.ProjectID, c.UserID, c.Name, c.Image, c.Host, c.Status, c.TaskState, c.Memory, c.CPU, c.Disk, c.AutoRemove,
		micros(c.CreatedAt), micros(c.UpdatedAt), string(data), c.IdempotencyKey).Scan(&c.ID)
	if err != nil {
		if cs.s.d.classify(err) == errdefs.ErrAlreadyExists {
			return fmt.Errorf("a container named %q or with uuid %s already exists: %w", c.Name, c.UUID, errdefs.ErrAlreadyExists)
		}
		return cs.s.d.dbError(err, "create container")
	}
	return nil
}

func (cs *containers) Get(ctx context.Context, uuidOrName string) (*model.Container, error) {
	return lookup[model.Container]{s: cs.s, kind: "container", selectSQL: containerSelect, byUUID: cs.scanCached,
		scan: scanContainer, conflict: "multiple containers exist with same name %s, please use the container uuid instead"}.get(ctx, uuidOrName)
}

func (cs *containers) GetByIdempotencyKey(ctx context.Context, key string) (*model.Container, error) {
	cond, args, err := scope(ctx)
	if err != nil {
		return nil, err
	}
	if key == "" {
		return nil, fmt.Errorf("container with an empty idempotency key: %w", errdefs.ErrNotFound)
	}
	c, err := scanContainer(cs.s.read.queryRow(ctx, containerSelect+" WHERE idempotency_key = ?"+cond, append([]any{key}, args...)...))
	if err != nil {
		if isNoRows(err) {
			return nil, fmt.Errorf("no container with idempotency key %q: %w", key, errdefs.ErrNotFound)
		}
		return nil, cs.s.d.dbError(err, "get container by idempotency key")
	}
	return c, nil
}

func (cs *containers) Update(ctx context.Context, id string, fn func(c *model.Container) error) (*model.Container, error) {
	return cs.update(ctx, id, fn, nil)
}

// update is Update with check run in the transaction between fn and the
// write; its error aborts the transaction.
func (cs *containers) update(ctx context.Context, id string, fn func(c *model.Container) error,
	check func(t *tx, orig, upd *model.Container) error) (*model.Container, error) {
	cond, args, err := scope(ctx)
	if err != nil {
		return nil, err
	}
	var out *model.Container
	err = cs.s.write.inTx(ctx, func(t *tx) error {
		c, err := scanContainer(t.queryRow(ctx, containerSelect+" WHERE uuid = ?"+cond+cs.s.d.forUpdate,
			append([]any{id}, args...)...))
		if err != nil {
			if isNoRows(err) {
				return fmt.Errorf("container %s could not be found: %w", id, errdefs.ErrNotFound)
			}
			return cs.s.d.dbError(err, "get container")
		}
		orig := *c
		if err := fn(c); err != nil {
			return err
		}
		if check != nil {
			if err := check(t, &orig, c); err != nil {
				return err
			}
		}
		// Identity is immutable whatever fn did.
		c.ID, c.UUID, c.ProjectID, c.UserID, c.CreatedAt = orig.ID, orig.UUID, orig.ProjectID, orig.UserID, orig.CreatedAt
		c.UpdatedAt = now()
		normContainer(c)
		data, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("failed to encode container: %w", err)
		}
		_, err = t.exec(ctx, `UPDATE containers SET name = ?, image = ?, host = ?, status = ?, task_state = ?,
            memory = ?, cpu = ?, disk = ?, auto_remove = ?, updated_at = ?, data = ? WHERE id = ?`,
			c.Name, c.Image, c.Host, c.Status, c.TaskState, c.Memory, c.CPU, c.Disk, c.AutoRemove, micros(c.UpdatedAt), string(data), c.ID)
		if err != nil {
			if cs.s.d.classify(err) == errdefs.ErrAlreadyExists {
				return fmt.Errorf("a container named %q already exists: %w", c.Name, errdefs.ErrAlreadyExists)
			}
			return cs.s.d.dbError(err, "update container")
		}
		out = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (cs *containers) Delete(ctx context.Context, id string) error {
	cond, args, err := scope(ctx)
	if err != nil {
		return err
	}
	defer cs.cache.forget(id)
	return cs.s.write.inTx(ctx, func(t *tx) error {
		res, err := t.exec(ctx, "DELETE FROM containers WHERE uuid = ?"+cond, append([]any{id}, args...)...)
		if err != nil {
			return cs.s.d.dbError(err, "delete container")
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return cs.s.d.dbError(err, "delete container")
			}
			return fmt.Errorf("container %s could not be found: %w", id, errdefs.ErrNotFound)
		}
		if _, err := t.exec(ctx, "DELETE FROM allocations WHERE container_uuid = ?", id); err != nil {
			return cs.s.d.dbError(err, "delete allocation")
		}
		return nil
	})
}

func (cs *containers) ListByHost(ctx context.Context, host string) ([]*model.Container, error) {
	rows, err := cs.s.read.query(ctx, containerSelect+" WHERE host = ? ORDER BY id", host)
	if err != nil {
		return nil, cs.s.d.dbError(err, "list containers")
	}
	list, err := collect(rows, scanContainer, cs.s.d, "list containers")
	if err != nil {
		return nil, err
	}
	return list, nil
}

func (cs *containers) Count(ctx context.Context, projectID string) (int, error) {
	cond, args, err := scope(ctx)
	if err != nil {
		return 0, err
	}
	var n int
	if err := cs.s.read.queryRow(ctx, "SELECT COUNT(*) FROM containers WHERE project_id = ?"+cond,
		append([]any{projectID}, args...)...).Scan(&n); err != nil {
		return 0, cs.s.d.dbError(err, "count containers")
	}
	return n, nil
}
