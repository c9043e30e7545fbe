package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
)

// hosts implements store.Hosts. Compute nodes are not tenant data: no
// scope applies. The capacity columns are ComputeNode.Capacity() at the
// last upsert, read by Claim without decoding the JSON.
type hosts struct{ s *Store }

var _ store.Hosts = (*hosts)(nil)

var hostListing = listing{
	table:       "compute_nodes",
	sortKeys:    []string{"id", "uuid", "hostname", "cpu_capacity", "memory_capacity", "disk_capacity", "created_at", "updated_at"},
	defaultSort: "hostname",
}

const hostSelect = "SELECT uuid, created_at, updated_at, data FROM compute_nodes"

func scanHost(sc scanner) (*model.ComputeNode, error) {
	var (
		id               string
		created, updated int64
		data             string
	)
	if err := sc.Scan(&id, &created, &updated, &data); err != nil {
		return nil, err
	}
	n := new(model.ComputeNode)
	if err := json.Unmarshal([]byte(data), n); err != nil {
		return nil, fmt.Errorf("failed to decode compute node %s: %w", id, err)
	}
	n.UUID, n.CreatedAt, n.UpdatedAt = id, fromMicros(created), fromMicros(updated)
	return n, nil
}

// Upsert creates the node or replaces the record of the same hostname,
// keeping its UUID and creation time. n gets the stored values.
func (h *hosts) Upsert(ctx context.Context, n *model.ComputeNode) error {
	if n.Hostname == "" {
		return fmt.Errorf("compute node has no hostname: %w", errdefs.ErrInvalidArgument)
	}
	// Two agents racing to insert the same new hostname: the loser's
	// insert fails as a duplicate and its second attempt updates.
	var err error
	for range 2 {
		err = h.s.write.inTx(ctx, func(t *tx) error { return h.upsert(ctx, t, n) })
		if !errors.Is(err, errdefs.ErrAlreadyExists) {
			return err
		}
	}
	return err
}

func (h *hosts) upsert(ctx context.Context, t *tx, n *model.ComputeNode) error {
	var (
		id      string
		created int64
	)
	err := t.queryRow(ctx, "SELECT uuid, created_at FROM compute_nodes WHERE hostname = ?"+h.s.d.forUpdate, n.Hostname).
		Scan(&id, &created)
	exists := err == nil
	if err != nil && !isNoRows(err) {
		return h.s.d.dbError(err, "get compute node")
	}
	ts := now()
	if exists {
		n.UUID, n.CreatedAt = id, fromMicros(created)
	} else {
		if n.UUID == "" {
			n.UUID = uuid.NewString()
		}
		n.CreatedAt = ts
	}
	n.UpdatedAt = ts
	data, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("failed to encode compute node: %w", err)
	}
	cpu, mem, disk := n.Capacity()
	if exists {
		_, err = t.exec(ctx, `UPDATE compute_nodes SET cpu_capacity = ?, memory_capacity = ?, disk_capacity = ?,
            updated_at = ?, data = ? WHERE hostname = ?`, cpu, mem, disk, micros(ts), string(data), n.Hostname)
	} else {
		_, err = t.exec(ctx, `INSERT INTO compute_nodes
            (uuid, hostname, cpu_capacity, memory_capacity, disk_capacity, created_at, updated_at, data)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, n.UUID, n.Hostname, cpu, mem, disk, micros(ts), micros(ts), string(data))
	}
	if err != nil {
		if h.s.d.classify(err) == errdefs.ErrAlreadyExists {
			return fmt.Errorf("compute node %s (uuid %s) already exists: %w", n.Hostname, n.UUID, errdefs.ErrAlreadyExists)
		}
		return h.s.d.dbError(err, "save compute node")
	}
	return nil
}

func (h *hosts) Get(ctx context.Context, uuidOrHostname string) (*model.ComputeNode, error) {
	for _, col := range []string{"uuid", "hostname"} {
		n, err := scanHost(h.s.read.queryRow(ctx, hostSelect+" WHERE "+col+" = ?", uuidOrHostname))
		if err == nil {
			return n, nil
		}
		if !isNoRows(err) {
			return nil, h.s.d.dbError(err, "get compute node")
		}
	}
	return nil, fmt.Errorf("compute node %s could not be found: %w", uuidOrHostname, errdefs.ErrNotFound)
}

func (h *hosts) List(ctx context.Context, opts store.ListOptions) ([]*model.ComputeNode, error) {
	markerCond, markerArgs, tail, err := hostListing.pageClause(ctx, h.s.read, opts, "", nil)
	if err != nil {
		return nil, err
	}
	rows, err := h.s.read.queryDynamic(ctx, hostSelect+" WHERE 1 = 1"+markerCond+tail, markerArgs...)
	if err != nil {
		return nil, h.s.d.dbError(err, "list compute nodes")
	}
	defer rows.Close()
	var list []*model.ComputeNode
	for rows.Next() {
		n, err := scanHost(rows)
		if err != nil {
			return nil, h.s.d.dbError(err, "list compute nodes")
		}
		list = append(list, n)
	}
	if err := rows.Err(); err != nil {
		return nil, h.s.d.dbError(err, "list compute nodes")
	}
	return list, nil
}

// Delete removes the node record. Allocations on it stay until their
// containers are deleted or released.
func (h *hosts) Delete(ctx context.Context, hostname string) error {
	res, err := h.s.write.exec(ctx, "DELETE FROM compute_nodes WHERE hostname = ?", hostname)
	if err != nil {
		return h.s.d.dbError(err, "delete compute node")
	}
	if n, err := res.RowsAffected(); err != nil {
		return h.s.d.dbError(err, "delete compute node")
	} else if n == 0 {
		return fmt.Errorf("compute node %s could not be found: %w", hostname, errdefs.ErrNotFound)
	}
	return nil
}

// Usage sums the allocations per host. Every known node is present, with
// zero usage if nothing is allocated on it.
func (h *hosts) Usage(ctx context.Context) (map[string]model.Usage, error) {
	out := make(map[string]model.Usage)
	rows, err := h.s.read.query(ctx, "SELECT hostname FROM compute_nodes")
	if err != nil {
		return nil, h.s.d.dbError(err, "read usage")
	}
	for rows.Next() {
		var host string
		if err := rows.Scan(&host); err != nil {
			rows.Close()
			return nil, h.s.d.dbError(err, "read usage")
		}
		out[host] = model.Usage{}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, h.s.d.dbError(err, "read usage")
	}
	rows, err = h.s.read.query(ctx, `SELECT host, COALESCE(SUM(cpu), 0), CAST(COALESCE(SUM(memory), 0) AS BIGINT),
        CAST(COALESCE(SUM(disk), 0) AS BIGINT), COUNT(*) FROM allocations GROUP BY host`)
	if err != nil {
		return nil, h.s.d.dbError(err, "read usage")
	}
	defer rows.Close()
	for rows.Next() {
		var (
			host string
			u    model.Usage
		)
		if err := rows.Scan(&host, &u.CPU, &u.Memory, &u.Disk, &u.Containers); err != nil {
			return nil, h.s.d.dbError(err, "read usage")
		}
		out[host] = u
	}
	if err := rows.Err(); err != nil {
		return nil, h.s.d.dbError(err, "read usage")
	}
	// Volumes take room on their host's disk whether attached or not.
	if err := h.s.volumeDiskUsage(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}
