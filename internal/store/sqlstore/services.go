package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
)

// services implements store.Services (not tenant data: no scope).
type services struct{ s *Store }

var _ store.Services = (*services)(nil)

const serviceCols = `id, host, binary_name, disabled, disabled_reason, forced_down, last_seen_up,
    report_count, availability_zone, created_at, updated_at`

func scanService(sc scanner) (*model.Service, error) {
	var (
		v                      model.Service
		seen, created, updated int64
	)
	if err := sc.Scan(&v.ID, &v.Host, &v.Binary, &v.Disabled, &v.DisabledReason, &v.ForcedDown, &seen,
		&v.ReportCount, &v.AvailabilityZone, &created, &updated); err != nil {
		return nil, err
	}
	v.LastSeenUp, v.CreatedAt, v.UpdatedAt = fromMicros(seen), fromMicros(created), fromMicros(updated)
	return &v, nil
}

func notFoundService(host, binary string) error {
	return fmt.Errorf("service %s on host %s could not be found: %w", binary, host, errdefs.ErrNotFound)
}

// Heartbeat upserts the (host, binary) record in one statement. An empty
// az keeps the recorded one.
func (sv *services) Heartbeat(ctx context.Context, host, binary, az string, at time.Time) (*model.Service, error) {
	if host == "" || binary == "" {
		return nil, fmt.Errorf("service needs a host and a binary: %w", errdefs.ErrInvalidArgument)
	}
	seen, ts := micros(norm(at)), micros(now())
	v, err := scanService(sv.s.write.queryRow(ctx, `INSERT INTO services
        (host, binary_name, availability_zone, last_seen_up, report_count, created_at, updated_at)
        VALUES (?, ?, ?, ?, 1, ?, ?)
        ON CONFLICT (host, binary_name) DO UPDATE SET
            last_seen_up = excluded.last_seen_up,
            report_count = services.report_count + 1,
            availability_zone = CASE WHEN excluded.availability_zone = '' THEN services.availability_zone
                ELSE excluded.availability_zone END,
            updated_at = excluded.updated_at
        RETURNING `+serviceCols, host, binary, az, seen, ts, ts))
	if err != nil {
		return nil, sv.s.d.dbError(err, "record heartbeat")
	}
	return v, nil
}

func (sv *services) Get(ctx context.Context, host, binary string) (*model.Service, error) {
	v, err := scanService(sv.s.read.queryRow(ctx, "SELECT "+serviceCols+" FROM services WHERE host = ? AND binary_name = ?", host, binary))
	if isNoRows(err) {
		return nil, notFoundService(host, binary)
	}
	if err != nil {
		return nil, sv.s.d.dbError(err, "get service")
	}
	return v, nil
}

func (sv *services) List(ctx context.Context) ([]*model.Service, error) {
	rows, err := sv.s.read.query(ctx, "SELECT "+serviceCols+" FROM services ORDER BY id")
	if err != nil {
		return nil, sv.s.d.dbError(err, "list services")
	}
	defer rows.Close()
	var list []*model.Service
	for rows.Next() {
		v, err := scanService(rows)
		if err != nil {
			return nil, sv.s.d.dbError(err, "list services")
		}
		list = append(list, v)
	}
	if err := rows.Err(); err != nil {
		return nil, sv.s.d.dbError(err, "list services")
	}
	return list, nil
}

// Update runs fn on the locked record and writes the mutable fields back.
func (sv *services) Update(ctx context.Context, host, binary string, fn func(s *model.Service) error) (*model.Service, error) {
	var out *model.Service
	err := sv.s.write.inTx(ctx, func(t *tx) error {
		v, err := scanService(t.queryRow(ctx, "SELECT "+serviceCols+" FROM services WHERE host = ? AND binary_name = ?"+
			sv.s.d.forUpdate, host, binary))
		if isNoRows(err) {
			return notFoundService(host, binary)
		}
		if err != nil {
			return sv.s.d.dbError(err, "get service")
		}
		orig := *v
		if err := fn(v); err != nil {
			return err
		}
		v.ID, v.Host, v.Binary, v.CreatedAt = orig.ID, orig.Host, orig.Binary, orig.CreatedAt
		v.LastSeenUp, v.UpdatedAt = norm(v.LastSeenUp), now()
		_, err = t.exec(ctx, `UPDATE services SET disabled = ?, disabled_reason = ?, forced_down = ?, last_seen_up = ?,
            report_count = ?, availability_zone = ?, updated_at = ? WHERE id = ?`,
			v.Disabled, v.DisabledReason, v.ForcedDown, micros(v.LastSeenUp), v.ReportCount, v.AvailabilityZone,
			micros(v.UpdatedAt), v.ID)
		if err != nil {
			return sv.s.d.dbError(err, "update service")
		}
		out = v
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (sv *services) Delete(ctx context.Context, host, binary string) error {
	res, err := sv.s.write.exec(ctx, "DELETE FROM services WHERE host = ? AND binary_name = ?", host, binary)
	if err != nil {
		return sv.s.d.dbError(err, "delete service")
	}
	if n, err := res.RowsAffected(); err != nil {
		return sv.s.d.dbError(err, "delete service")
	} else if n == 0 {
		return notFoundService(host, binary)
	}
	return nil
}
