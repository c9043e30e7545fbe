package sqlstore

import (
	"context"
	"errors"
	"slices"

	"github.com/openzun/zun/internal/model"
)

// batchHost is the state of one host during a batch claim: its capacity
// and what is allocated on it, including the batch's earlier items, or
// the error of locking it.
type batchHost struct {
	c    capacity
	used model.Usage
	err  error
}

// ClaimBatch claims allocs in one write transaction. The distinct hosts
// are locked first, sorted by hostname, so concurrent batches on
// PostgreSQL cannot deadlock on them; then each allocation is checked
// against its host's room (the batch's earlier claims included) and
// recorded, or refused alone.
//
// A second allocation of a container fails its INSERT, which aborts a
// PostgreSQL transaction: the batch is then run again with that item
// refused up front. Each run refuses one more item, so this ends.
func (h *hosts) ClaimBatch(ctx context.Context, allocs []model.Allocation) []error {
	fixed := make([]error, len(allocs))
	pending := 0
	for i, a := range allocs {
		if fixed[i] = validAllocation(a); fixed[i] == nil {
			pending++
		}
	}
	for pending > 0 {
		res := make([]error, len(allocs))
		dup := -1
		err := h.s.write.inTx(ctx, func(t *tx) error {
			copy(res, fixed) // a retried attempt starts afresh
			dup = -1
			return h.claimBatch(ctx, t, allocs, res, &dup)
		})
		var allocated errAllocated
		switch {
		case err == nil:
			return res
		case dup >= 0 && errors.As(err, &allocated):
			fixed[dup] = err
			pending--
		default:
			for i := range res {
				if fixed[i] == nil {
					fixed[i] = err
				}
			}
			return fixed
		}
	}
	return fixed
}

// claimBatch is one attempt of ClaimBatch: it fills res for the items
// that are nil in it. An error fails the whole transaction; *dup is then
// the index of a container already allocated, or -1.
func (h *hosts) claimBatch(ctx context.Context, t *tx, allocs []model.Allocation, res []error, dup *int) error {
	var names []string
	for i, a := range allocs {
		if res[i] == nil {
			names = append(names, a.Host)
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	state := make(map[string]*batchHost, len(names))
	for _, name := range names {
		st := new(batchHost)
		state[name] = st
		if st.c, st.err = h.lockCapacity(ctx, t, name); st.err != nil {
			if !isMissing(st.err) {
				return st.err
			}
			continue
		}
		u, err := h.used(ctx, t, name)
		if err != nil {
			return err
		}
		st.used = u
	}
	ts := micros(now())
	for i, a := range allocs {
		if res[i] != nil {
			continue
		}
		st := state[a.Host]
		if st.err != nil {
			res[i] = st.err
			continue
		}
		if err := fits(a.Host, st.c, st.used, a.CPU, a.Memory, a.Disk); err != nil {
			res[i] = err
			continue
		}
		err := h.record(ctx, t, a, ts)
		var allocated errAllocated
		switch {
		case errors.As(err, &allocated):
			*dup = i
			return err
		case err != nil && isMissing(err):
			res[i] = err
			continue
		case err != nil:
			return err
		}
		st.used.CPU += a.CPU
		st.used.Memory += a.Memory
		st.used.Disk += a.Disk
		st.used.Containers++
	}
	return nil
}
