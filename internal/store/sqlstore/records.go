package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/zunctx"
)

// recordMeta points at the columns every record table has.
type recordMeta struct {
	id               *int64
	uuid, project    *string
	created, updated *time.Time
}

// records is a table of project-scoped records held as JSON in a data
// column, with copies of some fields in indexed columns (cols, filled by
// vals). images, registries and glance_images use it.
type records[T any] struct {
	s       *Store
	what    string // "image", for messages
	list    listing
	cols    []string
	vals    func(*T) []any
	meta    func(*T) recordMeta
	nameCol string // Get also finds by this column when set
	// readScope widens the read scope of a project (the image service's
	// public images); nil reads the project's own.
	readScope func(project string) (string, []any)
}

func (r *records[T]) selectSQL() string {
	return "SELECT id, data FROM " + r.list.table
}

func (r *records[T]) scan(sc scanner) (*T, error) {
	var (
		id   int64
		data string
	)
	if err := sc.Scan(&id, &data); err != nil {
		return nil, err
	}
	v := new(T)
	if err := json.Unmarshal([]byte(data), v); err != nil {
		return nil, fmt.Errorf("failed to decode %s %d: %w", r.what, id, err)
	}
	*r.meta(v).id = id
	return v, nil
}

// scope returns the condition limiting rows to the caller: writes see the
// project's own rows, reads what readScope allows.
func (r *records[T]) scope(ctx context.Context, read bool) (string, []any, error) {
	project, all, err := zunctx.Scope(ctx)
	if err != nil {
		return "", nil, err
	}
	if all {
		return "", nil, nil
	}
	if read && r.readScope != nil {
		cond, args := r.readScope(project)
		return cond, args, nil
	}
	return " AND project_id = ?", []any{project}, nil
}

func (r *records[T]) norm(v *T) {
	m := r.meta(v)
	*m.created, *m.updated = norm(*m.created), norm(*m.updated)
}

func (r *records[T]) create(ctx context.Context, v *T) error {
	project, all, err := zunctx.Scope(ctx)
	if err != nil {
		return err
	}
	m := r.meta(v)
	if !all {
		if *m.project == "" {
			*m.project = project
		} else if *m.project != project {
			return fmt.Errorf("%s of project %q in the scope of project %q: %w", r.what, *m.project, project, errdefs.ErrForbidden)
		}
	}
	if *m.project == "" {
		return fmt.Errorf("%s has no project: %w", r.what, errdefs.ErrInvalidArgument)
	}
	if *m.uuid == "" {
		*m.uuid = uuid.NewString()
	}
	t := now()
	*m.id, *m.created, *m.updated = 0, t, t
	r.norm(v)
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("failed to encode %s: %w", r.what, err)
	}
	cols := append([]string{"uuid", "project_id"}, r.cols...)
	cols = append(cols, "created_at", "updated_at", "data")
	args := append([]any{*m.uuid, *m.project}, r.vals(v)...)
	args = append(args, micros(*m.created), micros(*m.updated), string(data))
	q := "INSERT INTO " + r.list.table + " (" + strings.Join(cols, ", ") + ") VALUES (?" +
		strings.Repeat(", ?", len(cols)-1) + ") RETURNING id"
	if err := r.s.write.queryRow(ctx, q, args...).Scan(m.id); err != nil {
		if r.s.d.classify(err) == errdefs.ErrAlreadyExists {
			return fmt.Errorf("a %s with the same name or key already exists: %w", r.what, errdefs.ErrAlreadyExists)
		}
		return r.s.d.dbError(err, "create "+r.what)
	}
	return nil
}

func (r *records[T]) notFound(id string) error {
	return fmt.Errorf("%s %s could not be found: %w", r.what, id, errdefs.ErrNotFound)
}

func (r *records[T]) get(ctx context.Context, id string) (*T, error) {
	cond, args, err := r.scope(ctx, true)
	if err != nil {
		return nil, err
	}
	if id == "" {
		return nil, r.notFound(id)
	}
	v, err := r.scan(r.s.read.queryRow(ctx, r.selectSQL()+" WHERE uuid = ?"+cond, append([]any{id}, args...)...))
	if err == nil {
		return v, nil
	}
	if !isNoRows(err) {
		return nil, r.s.d.dbError(err, "get "+r.what)
	}
	if r.nameCol == "" {
		return nil, r.notFound(id)
	}
	rows, err := r.s.read.query(ctx, r.selectSQL()+" WHERE "+r.nameCol+" = ?"+cond+" ORDER BY id LIMIT 2", append([]any{id}, args...)...)
	if err != nil {
		return nil, r.s.d.dbError(err, "get "+r.what)
	}
	list, err := collect(rows, r.scan, r.s.d, "get "+r.what)
	if err != nil {
		return nil, err
	}
	switch len(list) {
	case 0:
		return nil, r.notFound(id)
	case 1:
		return list[0], nil
	}
	return nil, fmt.Errorf("multiple %ss exist with name %s, please use the uuid instead: %w", r.what, id, errdefs.ErrConflict)
}

// find lists the rows in read scope matching eq (column = value, empty
// values ignored), paged by opts.
func (r *records[T]) find(ctx context.Context, eq [][2]string, opts store.ListOptions) ([]*T, error) {
	cond, args, err := r.scope(ctx, true)
	if err != nil {
		return nil, err
	}
	markerCond, markerArgs, tail, err := r.list.pageClause(ctx, r.s.read, opts, cond, args)
	if err != nil {
		return nil, err
	}
	for _, e := range eq {
		if e[1] != "" {
			cond += " AND " + e[0] + " = ?"
			args = append(args, e[1])
		}
	}
	rows, err := r.s.read.queryDynamic(ctx, r.selectSQL()+" WHERE 1 = 1"+cond+markerCond+tail, append(args, markerArgs...)...)
	if err != nil {
		return nil, r.s.d.dbError(err, "list "+r.what+"s")
	}
	list, err := collect(rows, r.scan, r.s.d, "list "+r.what+"s")
	if err != nil {
		return nil, err
	}
	return list, nil
}

func (r *records[T]) update(ctx context.Context, id string, fn func(*T) error) (*T, error) {
	cond, args, err := r.scope(ctx, false)
	if err != nil {
		return nil, err
	}
	var out *T
	err = r.s.write.inTx(ctx, func(t *tx) error {
		v, err := r.scan(t.queryRow(ctx, r.selectSQL()+" WHERE uuid = ?"+cond+r.s.d.forUpdate, append([]any{id}, args...)...))
		if err != nil {
			if isNoRows(err) {
				return r.notFound(id)
			}
			return r.s.d.dbError(err, "get "+r.what)
		}
		m := r.meta(v)
		origID, origUUID, origProject, origCreated := *m.id, *m.uuid, *m.project, *m.created
		if err := fn(v); err != nil {
			return err
		}
		m = r.meta(v)
		*m.id, *m.uuid, *m.project, *m.created = origID, origUUID, origProject, origCreated
		*m.updated = now()
		r.norm(v)
		data, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("failed to encode %s: %w", r.what, err)
		}
		set := ""
		for _, c := range r.cols {
			set += c + " = ?, "
		}
		uargs := append(r.vals(v), micros(*m.updated), string(data), origID)
		if _, err := t.exec(ctx, "UPDATE "+r.list.table+" SET "+set+"updated_at = ?, data = ? WHERE id = ?", uargs...); err != nil {
			if r.s.d.classify(err) == errdefs.ErrAlreadyExists {
				return fmt.Errorf("a %s with the same name or key already exists: %w", r.what, errdefs.ErrAlreadyExists)
			}
			return r.s.d.dbError(err, "update "+r.what)
		}
		out = v
		return nil
	})
	return out, err
}

func (r *records[T]) delete(ctx context.Context, id string) error {
	cond, args, err := r.scope(ctx, false)
	if err != nil {
		return err
	}
	res, err := r.s.write.exec(ctx, "DELETE FROM "+r.list.table+" WHERE uuid = ?"+cond, append([]any{id}, args...)...)
	if err != nil {
		return r.s.d.dbError(err, "delete "+r.what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return r.s.d.dbError(err, "delete "+r.what)
	}
	if n == 0 {
		return r.notFound(id)
	}
	return nil
}
