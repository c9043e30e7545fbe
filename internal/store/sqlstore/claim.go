package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

// cpuEpsilon absorbs float rounding when summing fractional CPUs.
const cpuEpsilon = 1e-9

// capacity is a compute node's claimable amounts.
type capacity struct {
	cpu          float64
	memory, disk int64
}

// lockCapacity reads the capacity of host, locking the node row until the
// transaction ends (PostgreSQL). On SQLite the immediate write transaction
// already excludes every other writer.
func (h *hosts) lockCapacity(ctx context.Context, t *tx, host string) (capacity, error) {
	var c capacity
	err := t.queryRow(ctx, "SELECT cpu_capacity, memory_capacity, disk_capacity FROM compute_nodes WHERE hostname = ?"+
		h.s.d.forUpdate, host).Scan(&c.cpu, &c.memory, &c.disk)
	if isNoRows(err) {
		return c, missingError{"compute node", host}
	}
	if err != nil {
		return c, h.s.d.dbError(err, "lock compute node")
	}
	return c, nil
}

// used sums the allocations on host, and the volumes it holds (they take
// room on its disk whether attached or not). The first query reads the
// covering index allocations_host only.
func (h *hosts) used(ctx context.Context, t *tx, host string) (model.Usage, error) {
	var u model.Usage
	err := t.queryRow(ctx, `SELECT COALESCE(SUM(cpu), 0), CAST(COALESCE(SUM(memory), 0) AS BIGINT),
        CAST(COALESCE(SUM(disk), 0) AS BIGINT) FROM allocations WHERE host = ?`, host).Scan(&u.CPU, &u.Memory, &u.Disk)
	if err != nil {
		return u, h.s.d.dbError(err, "sum allocations")
	}
	var gb int64
	if err := t.queryRow(ctx, "SELECT CAST(COALESCE(SUM(size_gb), 0) AS BIGINT) FROM volumes WHERE host = ?", host).Scan(&gb); err != nil {
		return u, h.s.d.dbError(err, "sum volumes")
	}
	u.Disk += gb
	return u, nil
}

// unplacedVolumes sums the GiB of the volumes reserved for a container
// that no host holds yet: the claim places them with the container.
func (h *hosts) unplacedVolumes(ctx context.Context, t *tx, containerUUID string) (int64, error) {
	var gb int64
	if err := t.queryRow(ctx, "SELECT CAST(COALESCE(SUM(size_gb), 0) AS BIGINT) FROM volumes WHERE attached_to = ? AND host = ''",
		containerUUID).Scan(&gb); err != nil {
		return 0, h.s.d.dbError(err, "sum unplaced volumes")
	}
	return gb, nil
}

// placeVolumes gives the container's unplaced volumes its host.
func (h *hosts) placeVolumes(ctx context.Context, t *tx, containerUUID, host string) error {
	if _, err := t.exec(ctx, "UPDATE volumes SET host = ? WHERE attached_to = ? AND host = ''", host, containerUUID); err != nil {
		return h.s.d.dbError(err, "place volumes")
	}
	return nil
}

// fits checks that used plus the request stays within c.
func fits(host string, c capacity, used model.Usage, cpu float64, memory, disk int64) error {
	switch {
	case used.CPU+cpu > c.cpu+cpuEpsilon:
		return fmt.Errorf("host %s has not enough cpu: %g of %g used, %g requested: %w", host, used.CPU, c.cpu, cpu, errdefs.ErrConflict)
	case used.Memory+memory > c.memory:
		return fmt.Errorf("host %s has not enough memory: %d of %d MiB used, %d requested: %w", host, used.Memory, c.memory, memory, errdefs.ErrConflict)
	case disk > 0 && used.Disk+disk > c.disk:
		return fmt.Errorf("host %s has not enough disk: %d of %d GiB used, %d requested: %w", host, used.Disk, c.disk, disk, errdefs.ErrConflict)
	}
	return nil
}

func validAmounts(cpu float64, memory, disk int64) error {
	if cpu < 0 || memory < 0 || disk < 0 {
		return fmt.Errorf("negative allocation (cpu %g, memory %d, disk %d): %w", cpu, memory, disk, errdefs.ErrInvalidArgument)
	}
	return nil
}

// Claim locks the host, re-checks its room (for the allocation and the
// container's volumes no host holds yet), sets the container's host,
// places those volumes there and records the allocation, all in one
// transaction.
func (h *hosts) Claim(ctx context.Context, a model.Allocation) error {
	if err := validAllocation(a); err != nil {
		return err
	}
	ts := micros(now())
	return h.s.write.inTx(ctx, func(t *tx) error {
		c, err := h.lockCapacity(ctx, t, a.Host)
		if err != nil {
			return err
		}
		u, err := h.used(ctx, t, a.Host)
		if err != nil {
			return err
		}
		vol, err := h.unplacedVolumes(ctx, t, a.ContainerUUID)
		if err != nil {
			return err
		}
		if err := fits(a.Host, c, u, a.CPU, a.Memory, a.Disk+vol); err != nil {
			return err
		}
		if err := h.record(ctx, t, a, ts); err != nil {
			return err
		}
		if vol > 0 {
			return h.placeVolumes(ctx, t, a.ContainerUUID, a.Host)
		}
		return nil
	})
}

// validAllocation checks what Claim checks before touching the database.
func validAllocation(a model.Allocation) error {
	if a.ContainerUUID == "" || a.Host == "" {
		return fmt.Errorf("allocation needs a container and a host: %w", errdefs.ErrInvalidArgument)
	}
	return validAmounts(a.CPU, a.Memory, a.Disk)
}

// missingError is a compute node or container that could not be found
// (errdefs.ErrNotFound), told apart from database failures that a batch
// claim must not keep to one item.
type missingError struct{ kind, name string }

func (e missingError) Error() string {
	return fmt.Sprintf("%s %s could not be found: %v", e.kind, e.name, errdefs.ErrNotFound)
}

func (e missingError) Unwrap() error { return errdefs.ErrNotFound }

func isMissing(err error) bool {
	var m missingError
	return errors.As(err, &m)
}

// errAllocated is the error of recording a second allocation of a
// container; a statement failing so aborts a PostgreSQL transaction.
type errAllocated struct{ uuid string }

func (e errAllocated) Error() string {
	return fmt.Sprintf("container %s already has an allocation: %v", e.uuid, errdefs.ErrAlreadyExists)
}

func (e errAllocated) Unwrap() error { return errdefs.ErrAlreadyExists }

// record sets the container's (or capsule's) host and inserts its allocation, once the
// host's capacity has been checked under its lock. A missing container
// gives ErrNotFound without failing a statement.
func (h *hosts) record(ctx context.Context, t *tx, a model.Allocation, ts int64) error {
	// The container row before the allocation: the order Delete uses.
	res, err := t.exec(ctx, "UPDATE containers SET host = ?, data = "+h.s.d.setJSONHost+" WHERE uuid = ?",
		a.Host, a.Host, a.ContainerUUID)
	if err != nil {
		return h.s.d.dbError(err, "set container host")
	}
	if n, err := res.RowsAffected(); err != nil {
		return h.s.d.dbError(err, "set container host")
	} else if n == 0 {
		// A capsule claims once for all its members, under its own uuid.
		res, err = t.exec(ctx, "UPDATE capsules SET host = ?, data = "+h.s.d.setJSONHost+" WHERE uuid = ?",
			a.Host, a.Host, a.ContainerUUID)
		if err != nil {
			return h.s.d.dbError(err, "set capsule host")
		}
		if n, err := res.RowsAffected(); err != nil {
			return h.s.d.dbError(err, "set capsule host")
		} else if n == 0 {
			return missingError{"container", a.ContainerUUID}
		}
	}
	_, err = t.exec(ctx, "INSERT INTO allocations (container_uuid, host, cpu, memory, disk, created_at) VALUES (?, ?, ?, ?, ?, ?)",
		a.ContainerUUID, a.Host, a.CPU, a.Memory, a.Disk, ts)
	if err != nil {
		if h.s.d.classify(err) == errdefs.ErrAlreadyExists {
			return errAllocated{a.ContainerUUID}
		}
		return h.s.d.dbError(err, "record allocation")
	}
	return nil
}

// Resize changes the cpu and memory of an allocation if its host has room.
func (h *hosts) Resize(ctx context.Context, containerUUID string, cpu float64, memory int64) error {
	if err := validAmounts(cpu, memory, 0); err != nil {
		return err
	}
	return h.s.write.inTx(ctx, func(t *tx) error {
		var host string
		err := t.queryRow(ctx, "SELECT host FROM allocations WHERE container_uuid = ?", containerUUID).Scan(&host)
		if isNoRows(err) {
			return fmt.Errorf("allocation of container %s could not be found: %w", containerUUID, errdefs.ErrNotFound)
		}
		if err != nil {
			return h.s.d.dbError(err, "get allocation")
		}
		c, err := h.lockCapacity(ctx, t, host)
		if err != nil {
			return err
		}
		// Read the allocation again under the node lock: a concurrent
		// resize or release may have changed it since.
		var cur model.Allocation
		err = t.queryRow(ctx, "SELECT host, cpu, memory, disk FROM allocations WHERE container_uuid = ?", containerUUID).
			Scan(&cur.Host, &cur.CPU, &cur.Memory, &cur.Disk)
		if isNoRows(err) || (err == nil && cur.Host != host) {
			return fmt.Errorf("allocation of container %s could not be found: %w", containerUUID, errdefs.ErrNotFound)
		}
		if err != nil {
			return h.s.d.dbError(err, "get allocation")
		}
		u, err := h.used(ctx, t, host)
		if err != nil {
			return err
		}
		u.CPU, u.Memory, u.Disk = u.CPU-cur.CPU, u.Memory-cur.Memory, u.Disk-cur.Disk
		if err := fits(host, c, u, cpu, memory, cur.Disk); err != nil {
			return err
		}
		if _, err := t.exec(ctx, "UPDATE allocations SET cpu = ?, memory = ? WHERE container_uuid = ?",
			cpu, memory, containerUUID); err != nil {
			return h.s.d.dbError(err, "resize allocation")
		}
		return nil
	})
}

// Release drops the allocation of a container, if any.
func (h *hosts) Release(ctx context.Context, containerUUID string) error {
	if _, err := h.s.write.exec(ctx, "DELETE FROM allocations WHERE container_uuid = ?", containerUUID); err != nil {
		return h.s.d.dbError(err, "release allocation")
	}
	return nil
}
