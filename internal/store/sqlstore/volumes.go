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

// volumes implements store.Volumes; like containers, the data column holds
// the record as JSON and the others are copies for queries.
type volumes struct{ s *Store }

var _ store.Volumes = (*volumes)(nil)

// Volumes returns the volume store.
func (s *Store) Volumes() store.Volumes { return &volumes{s} }

const volumeSelect = "SELECT id, host, data FROM volumes"

func scanVolume(sc scanner) (*model.Volume, error) {
	var (
		id         int64
		host, data string
	)
	if err := sc.Scan(&id, &host, &data); err != nil {
		return nil, err
	}
	v := new(model.Volume)
	if err := json.Unmarshal([]byte(data), v); err != nil {
		return nil, fmt.Errorf("failed to decode volume %d: %w", id, err)
	}
	v.ID, v.Host = id, host
	return v, nil
}

func (vs *volumes) Create(ctx context.Context, v *model.Volume) error {
	if err := prepareVolume(ctx, v); err != nil {
		return err
	}
	return vs.insert(ctx, vs.s.write, v)
}

// prepareVolume checks v against the caller's scope and fills what the
// insert sets.
func prepareVolume(ctx context.Context, v *model.Volume) error {
	project, all, err := zunctx.Scope(ctx)
	if err != nil {
		return err
	}
	if !all {
		if v.ProjectID == "" {
			v.ProjectID = project
		} else if v.ProjectID != project {
			return fmt.Errorf("volume of project %q in the scope of project %q: %w", v.ProjectID, project, errdefs.ErrForbidden)
		}
	}
	if v.ProjectID == "" || v.Size < 1 {
		return fmt.Errorf("volume needs a project and a size: %w", errdefs.ErrInvalidArgument)
	}
	if v.UUID == "" {
		v.UUID = uuid.NewString()
	}
	t := now()
	v.ID, v.CreatedAt, v.UpdatedAt = 0, norm(t), norm(t)
	return nil
}

func (vs *volumes) insert(ctx context.Context, q querier, v *model.Volume) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("failed to encode volume: %w", err)
	}
	err = q.queryRow(ctx, `INSERT INTO volumes
        (uuid, project_id, name, host, status, size_gb, attached_to, created_at, updated_at, data)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		v.UUID, v.ProjectID, v.Name, v.Host, v.Status, v.Size, v.AttachedTo,
		micros(v.CreatedAt), micros(v.UpdatedAt), string(data)).Scan(&v.ID)
	if err != nil {
		if vs.s.d.classify(err) == errdefs.ErrAlreadyExists {
			return fmt.Errorf("a volume with uuid %s already exists: %w", v.UUID, errdefs.ErrAlreadyExists)
		}
		return vs.s.d.dbError(err, "create volume")
	}
	return nil
}

func (vs *volumes) Get(ctx context.Context, uuidOrName string) (*model.Volume, error) {
	return lookup[model.Volume]{s: vs.s, kind: "volume", selectSQL: volumeSelect, byUUID: func(sc scanner, _ string) (*model.Volume, error) { return scanVolume(sc) },
		scan: scanVolume, conflict: "multiple volumes are named %s, use the volume id instead"}.get(ctx, uuidOrName)
}

func (vs *volumes) List(ctx context.Context, opts store.ListOptions) ([]*model.Volume, error) {
	cond, args, err := scope(ctx)
	if err != nil {
		return nil, err
	}
	q := volumeSelect + " WHERE 1 = 1" + cond
	if opts.Marker != "" {
		m, err := vs.Get(ctx, opts.Marker)
		if err != nil {
			return nil, fmt.Errorf("marker %s: %w", opts.Marker, err)
		}
		q += " AND id > ?"
		args = append(args, m.ID)
	}
	q += " ORDER BY id"
	if opts.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", opts.Limit)
	}
	rows, err := vs.s.read.queryDynamic(ctx, q, args...)
	if err != nil {
		return nil, vs.s.d.dbError(err, "list volumes")
	}
	list, err := collect(rows, scanVolume, vs.s.d, "list volumes")
	if err != nil {
		return nil, err
	}
	return list, nil
}

func (vs *volumes) Update(ctx context.Context, id string, fn func(v *model.Volume) error) (*model.Volume, error) {
	cond, args, err := scope(ctx)
	if err != nil {
		return nil, err
	}
	var out *model.Volume
	err = vs.s.write.inTx(ctx, func(t *tx) error {
		v, err := scanVolume(t.queryRow(ctx, volumeSelect+" WHERE uuid = ?"+cond+vs.s.d.forUpdate, append([]any{id}, args...)...))
		if err != nil {
			if isNoRows(err) {
				return fmt.Errorf("volume %s could not be found: %w", id, errdefs.ErrNotFound)
			}
			return vs.s.d.dbError(err, "get volume")
		}
		orig := *v
		if err := fn(v); err != nil {
			return err
		}
		v.ID, v.UUID, v.ProjectID, v.UserID, v.CreatedAt, v.Size = orig.ID, orig.UUID, orig.ProjectID, orig.UserID, orig.CreatedAt, orig.Size
		v.UpdatedAt = norm(now())
		data, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("failed to encode volume: %w", err)
		}
		if _, err := t.exec(ctx, `UPDATE volumes SET name = ?, host = ?, status = ?, attached_to = ?, updated_at = ?, data = ?
            WHERE id = ?`, v.Name, v.Host, v.Status, v.AttachedTo, micros(v.UpdatedAt), string(data), v.ID); err != nil {
			return vs.s.d.dbError(err, "update volume")
		}
		out = v
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (vs *volumes) Delete(ctx context.Context, id string) error {
	cond, args, err := scope(ctx)
	if err != nil {
		return err
	}
	res, err := vs.s.write.exec(ctx, "DELETE FROM volumes WHERE uuid = ?"+cond, append([]any{id}, args...)...)
	if err != nil {
		return vs.s.d.dbError(err, "delete volume")
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err != nil {
			return vs.s.d.dbError(err, "delete volume")
		}
		return fmt.Errorf("volume %s could not be found: %w", id, errdefs.ErrNotFound)
	}
	return nil
}

func (vs *volumes) ListAttached(ctx context.Context, containerUUID string) ([]*model.Volume, error) {
	if containerUUID == "" {
		return nil, nil
	}
	rows, err := vs.s.read.query(ctx, volumeSelect+" WHERE attached_to = ? ORDER BY id", containerUUID)
	if err != nil {
		return nil, vs.s.d.dbError(err, "list attached volumes")
	}
	list, err := collect(rows, scanVolume, vs.s.d, "list attached volumes")
	if err != nil {
		return nil, err
	}
	return list, nil
}

func (vs *volumes) ListByHost(ctx context.Context, host string) ([]*model.Volume, error) {
	rows, err := vs.s.read.query(ctx, volumeSelect+" WHERE host = ? ORDER BY id", host)
	if err != nil {
		return nil, vs.s.d.dbError(err, "list host volumes")
	}
	list, err := collect(rows, scanVolume, vs.s.d, "list host volumes")
	if err != nil {
		return nil, err
	}
	return list, nil
}

// volumeDiskUsage adds the GiB of the volumes held by each host to out.
func (s *Store) volumeDiskUsage(ctx context.Context, out map[string]model.Usage) error {
	rows, err := s.read.query(ctx, "SELECT host, CAST(COALESCE(SUM(size_gb), 0) AS BIGINT) FROM volumes WHERE host <> '' GROUP BY host")
	if err != nil {
		return s.d.dbError(err, "read volume usage")
	}
	defer rows.Close()
	for rows.Next() {
		var (
			host string
			gb   int64
		)
		if err := rows.Scan(&host, &gb); err != nil {
			return s.d.dbError(err, "read volume usage")
		}
		if u, ok := out[host]; ok {
			u.Disk += gb
			out[host] = u
		}
	}
	return rows.Err()
}
