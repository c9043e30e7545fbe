package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/zunctx"
)

// networks implements store.Networks over net_records and its side tables
// (migration 0008). Query texts are constant (empty filters are written as
// "? = ”" alternatives) so the statement cache stays small.
type networks struct{ s *Store }

var _ store.Networks = (*networks)(nil)

// Networks returns the network service's store.
func (s *Store) Networks() store.Networks { return &networks{s} }

// netScope is the caller's scope: all, or a project.
type netScope struct {
	all     bool
	project string
}

func netScopeOf(ctx context.Context) (netScope, error) {
	project, all, err := zunctx.Scope(ctx)
	if err != nil {
		return netScope{}, err
	}
	return netScope{all: all, project: project}, nil
}

// netReader reads on the read pool or inside a write transaction.
type netReader struct {
	ctx   context.Context
	q     querier
	d     *dialect
	scope netScope
}

const netReadCond = " AND (? OR project_id = ? OR public = 1)"

func (r *netReader) Get(kind, id string) ([]byte, error) {
	var data string
	err := r.q.queryRow(r.ctx, "SELECT data FROM net_records WHERE kind = ? AND id = ?"+netReadCond,
		kind, id, r.scope.all, r.scope.project).Scan(&data)
	if err != nil {
		if isNoRows(err) {
			return nil, fmt.Errorf("%s %s could not be found: %w", kind, id, errdefs.ErrNotFound)
		}
		return nil, r.d.dbError(err, "get "+kind)
	}
	return []byte(data), nil
}

func (r *netReader) List(kind string, f store.NetFilter) ([][]byte, error) {
	rows, err := r.q.query(r.ctx, `SELECT data FROM net_records WHERE kind = ?`+netReadCond+`
        AND (? = '' OR project_id = ?) AND (? = '' OR name = ?) AND (? = '' OR network_id = ?)
        AND (? = '' OR device_id = ?) AND (? = '' OR host = ?) ORDER BY seq`,
		kind, r.scope.all, r.scope.project, f.ProjectID, f.ProjectID, f.Name, f.Name,
		f.NetworkID, f.NetworkID, f.DeviceID, f.DeviceID, f.Host, f.Host)
	if err != nil {
		return nil, r.d.dbError(err, "list "+kind)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, r.d.dbError(err, "list "+kind)
		}
		out = append(out, []byte(data))
	}
	if err := rows.Err(); err != nil {
		return nil, r.d.dbError(err, "list "+kind)
	}
	return out, nil
}

var netAttrRe = regexp.MustCompile(`^[a-z_]+$`)

// Count counts in SQL: a quota check runs on every create and must not
// read the project's records. except is matched on the JSON text Put
// wrote (encoding/json: compact, keys in field order, quotes inside
// strings escaped), where `"attr":"prefix` can only be the attribute
// itself; parsing every row's JSON instead doubled the cost of a port
// create with 400 ports on SQLite.
func (r *netReader) Count(kind string, f store.NetFilter, except store.NetExcept) (int64, error) {
	q := `SELECT COUNT(*) FROM net_records WHERE kind = ?` + netReadCond + `
        AND (? = '' OR project_id = ?) AND (? = '' OR name = ?) AND (? = '' OR network_id = ?)
        AND (? = '' OR device_id = ?) AND (? = '' OR host = ?)`
	args := []any{kind, r.scope.all, r.scope.project, f.ProjectID, f.ProjectID, f.Name, f.Name,
		f.NetworkID, f.NetworkID, f.DeviceID, f.DeviceID, f.Host, f.Host}
	if except.Attr != "" {
		if !netAttrRe.MatchString(except.Attr) {
			return 0, fmt.Errorf("bad attribute %q: %w", except.Attr, errdefs.ErrInvalidArgument)
		}
		prefix, err := json.Marshal(except.Prefix)
		if err != nil {
			return 0, fmt.Errorf("bad prefix %q: %w", except.Prefix, errdefs.ErrInvalidArgument)
		}
		q += " AND NOT " + r.d.dataContains
		args = append(args, `"`+except.Attr+`":`+strings.TrimSuffix(string(prefix), `"`))
	}
	var n int64
	if err := r.q.queryRow(r.ctx, q, args...).Scan(&n); err != nil {
		return 0, r.d.dbError(err, "count "+kind)
	}
	return n, nil
}

func (n *networks) Read(ctx context.Context, fn func(r store.NetReader) error) error {
	sc, err := netScopeOf(ctx)
	if err != nil {
		return err
	}
	return fn(&netReader{ctx: ctx, q: n.s.read, d: n.s.d, scope: sc})
}

func (n *networks) Revision(ctx context.Context) (int64, error) {
	var rev int64
	if err := n.s.read.queryRow(ctx, "SELECT revision FROM net_revision WHERE id = 1").Scan(&rev); err != nil {
		return 0, n.s.d.dbError(err, "read network revision")
	}
	return rev, nil
}

func (n *networks) Write(ctx context.Context, fn func(tx store.NetTx) error) (int64, error) {
	sc, err := netScopeOf(ctx)
	if err != nil {
		return 0, err
	}
	var rev int64
	err = n.s.write.inTx(ctx, func(t *tx) error {
		if err := t.queryRow(ctx, "UPDATE net_revision SET revision = revision + 1 WHERE id = 1 RETURNING revision").Scan(&rev); err != nil {
			return n.s.d.dbError(err, "bump network revision")
		}
		return fn(&netTx{netReader: netReader{ctx: ctx, q: t, d: n.s.d, scope: sc}, t: t, rev: rev})
	})
	if err != nil {
		return 0, err
	}
	return rev, nil
}

type netTx struct {
	netReader
	t   *tx
	rev int64
}

func (x *netTx) Revision() int64 { return x.rev }

func (x *netTx) Put(kind string, rec store.NetRecord, ix store.NetIndex) error {
	m := rec.Meta()
	if m.ID == "" {
		return fmt.Errorf("%s has no id: %w", kind, errdefs.ErrInvalidArgument)
	}
	if !x.scope.all {
		if m.ProjectID == "" {
			m.ProjectID = x.scope.project
		} else if m.ProjectID != x.scope.project {
			return fmt.Errorf("%s %s could not be found: %w", kind, m.ID, errdefs.ErrNotFound)
		}
	}
	var (
		project string
		created int64
	)
	err := x.t.queryRow(x.ctx, "SELECT project_id, created_at FROM net_records WHERE kind = ? AND id = ?", kind, m.ID).Scan(&project, &created)
	exists := err == nil
	if err != nil && !isNoRows(err) {
		return x.d.dbError(err, "get "+kind)
	}
	if exists && !x.scope.all && project != x.scope.project {
		return fmt.Errorf("%s %s could not be found: %w", kind, m.ID, errdefs.ErrNotFound)
	}
	ts := now()
	if exists {
		m.CreatedAt = fromMicros(created)
	} else {
		m.CreatedAt = ts
	}
	m.UpdatedAt, m.RevisionNumber = ts, x.rev
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("failed to encode %s: %w", kind, err)
	}
	var res sql.Result
	if exists {
		res, err = x.t.exec(x.ctx, `UPDATE net_records SET project_id = ?, name = ?, network_id = ?, device_id = ?, host = ?,
            public = ?, updated_at = ?, data = ? WHERE kind = ? AND id = ?`,
			m.ProjectID, m.Name, ix.NetworkID, ix.DeviceID, ix.Host, boolInt(ix.Public), micros(ts), string(data), kind, m.ID)
	} else {
		res, err = x.t.exec(x.ctx, `INSERT INTO net_records (id, kind, project_id, name, network_id, device_id, host, public,
            created_at, updated_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m.ID, kind, m.ProjectID, m.Name, ix.NetworkID, ix.DeviceID, ix.Host, boolInt(ix.Public), micros(ts), micros(ts), string(data))
	}
	if err != nil {
		return x.d.dbError(err, "write "+kind)
	}
	_ = res
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (x *netTx) ListAll(kind string, f store.NetFilter) ([][]byte, error) {
	all := x.netReader
	all.scope = netScope{all: true}
	return all.List(kind, f)
}

func (x *netTx) CountAll(kind string, f store.NetFilter, except store.NetExcept) (int64, error) {
	all := x.netReader
	all.scope = netScope{all: true}
	return all.Count(kind, f, except)
}

func (x *netTx) Delete(kind, id string) error {
	res, err := x.t.exec(x.ctx, "DELETE FROM net_records WHERE kind = ? AND id = ? AND (? OR project_id = ?)",
		kind, id, x.scope.all, x.scope.project)
	if err != nil {
		return x.d.dbError(err, "delete "+kind)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err != nil {
			return x.d.dbError(err, "delete "+kind)
		}
		return fmt.Errorf("%s %s could not be found: %w", kind, id, errdefs.ErrNotFound)
	}
	return nil
}

func (x *netTx) UsedIPs(subnetID string) ([]string, error) {
	rows, err := x.t.query(x.ctx, "SELECT ip_address FROM net_ips WHERE subnet_id = ?", subnetID)
	if err != nil {
		return nil, x.d.dbError(err, "list used addresses")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var ip string
		if err := rows.Scan(&ip); err != nil {
			return nil, x.d.dbError(err, "list used addresses")
		}
		out = append(out, ip)
	}
	return out, x.d.dbError(rows.Err(), "list used addresses")
}

// insertOnce runs an INSERT ... ON CONFLICT DO NOTHING and reports a row
// already there as errdefs.ErrAlreadyExists without aborting the
// transaction (PostgreSQL aborts on a failed statement).
func (x *netTx) insertOnce(what, q string, args ...any) error {
	res, err := x.t.exec(x.ctx, q, args...)
	if err != nil {
		return x.d.dbError(err, what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return x.d.dbError(err, what)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, errdefs.ErrAlreadyExists)
	}
	return nil
}

func (x *netTx) UseIP(networkID, subnetID, ip, portID string) error {
	return x.insertOnce("address "+ip+" is in use", `INSERT INTO net_ips (subnet_id, ip_address, network_id, port_id)
        VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, subnetID, ip, networkID, portID)
}

func (x *netTx) ReleaseIP(subnetID, ip string) error {
	_, err := x.t.exec(x.ctx, "DELETE FROM net_ips WHERE subnet_id = ? AND ip_address = ?", subnetID, ip)
	return x.d.dbError(err, "release address")
}

func (x *netTx) ReleaseIPs(portID string) error {
	_, err := x.t.exec(x.ctx, "DELETE FROM net_ips WHERE port_id = ?", portID)
	return x.d.dbError(err, "release addresses")
}

func (x *netTx) UseMAC(networkID, mac, portID string) error {
	return x.insertOnce("mac address "+mac+" is in use", `INSERT INTO net_macs (network_id, mac, port_id)
        VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, networkID, mac, portID)
}

func (x *netTx) ReleaseMACs(portID string) error {
	_, err := x.t.exec(x.ctx, "DELETE FROM net_macs WHERE port_id = ?", portID)
	return x.d.dbError(err, "release mac addresses")
}

func (x *netTx) AllocateVNI(networkID string, lo, hi int) (int, error) {
	// The lowest free segment: lo itself, or one past a used one.
	var vni int64
	err := x.t.queryRow(x.ctx, `SELECT MIN(c) FROM (
            SELECT CAST(? AS BIGINT) AS c WHERE NOT EXISTS (SELECT 1 FROM net_segments WHERE vni = ?)
            UNION ALL
            SELECT s.vni + 1 FROM net_segments s WHERE s.vni >= ? AND s.vni < ?
              AND NOT EXISTS (SELECT 1 FROM net_segments t WHERE t.vni = s.vni + 1)) AS free`,
		lo, lo, lo, hi).Scan(&nullInt{&vni})
	if err != nil {
		return 0, x.d.dbError(err, "allocate segment")
	}
	if vni == 0 {
		return 0, fmt.Errorf("no free vxlan segment in %d-%d: %w", lo, hi, errdefs.ErrConflict)
	}
	return int(vni), x.ReserveVNI(networkID, int(vni))
}

// nullInt scans a nullable integer, NULL as 0.
type nullInt struct{ p *int64 }

func (n *nullInt) Scan(src any) error {
	var v sql.NullInt64
	if err := v.Scan(src); err != nil {
		return err
	}
	*n.p = v.Int64
	return nil
}

func (x *netTx) ReserveVNI(networkID string, vni int) error {
	return x.insertOnce(fmt.Sprintf("segment %d is in use", vni),
		"INSERT INTO net_segments (vni, network_id) VALUES (?, ?) ON CONFLICT DO NOTHING", vni, networkID)
}

func (x *netTx) ReleaseVNI(networkID string) error {
	_, err := x.t.exec(x.ctx, "DELETE FROM net_segments WHERE network_id = ?", networkID)
	return x.d.dbError(err, "release segment")
}
