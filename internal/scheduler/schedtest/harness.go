package schedtest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

// Harness is an in-memory cluster: nodes, services and allocations. It
// implements scheduler.Source, scheduler.Claimer and
// scheduler.BatchClaimer. Safe for concurrent use.
type Harness struct {
	// ClaimDelay, if set, is slept inside Claim and ClaimBatch (once per
	// batch) before the capacity check, outside the lock, to widen race
	// windows in tests.
	ClaimDelay time.Duration
	// Unchecked makes Claim record allocations without the capacity
	// check, so a test can see whether the scheduler alone over-commits.
	Unchecked bool

	mu        sync.Mutex
	order     []string
	nodes     map[string]*model.ComputeNode
	services  map[string]*model.Service
	allocs    map[string]model.Allocation
	usage     map[string]model.Usage
	loads     int
	claims    int
	conflicts int
	batches   int
}

// New returns an empty harness.
func New() *Harness {
	return &Harness{
		nodes:    map[string]*model.ComputeNode{},
		services: map[string]*model.Service{},
		allocs:   map[string]model.Allocation{},
		usage:    map[string]model.Usage{},
	}
}

// AddHost adds or replaces a node and, if s is not nil, its service.
func (h *Harness) AddHost(n *model.ComputeNode, s *model.Service) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.nodes[n.Hostname]; !ok {
		h.order = append(h.order, n.Hostname)
	}
	c := *n
	h.nodes[n.Hostname] = &c
	if s != nil {
		cs := *s
		h.services[s.Host] = &cs
	}
}

// UpdateService runs fn on the service of host (which must exist).
func (h *Harness) UpdateService(host string, fn func(s *model.Service)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	fn(h.services[host])
}

// Hosts implements scheduler.Source; it returns copies in insertion order.
func (h *Harness) Hosts(context.Context) ([]*model.ComputeNode, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.loads++
	out := make([]*model.ComputeNode, 0, len(h.order))
	for _, name := range h.order {
		c := *h.nodes[name]
		out = append(out, &c)
	}
	return out, nil
}

// Services implements scheduler.Source.
func (h *Harness) Services(context.Context) ([]*model.Service, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*model.Service, 0, len(h.services))
	for _, name := range h.order {
		if s, ok := h.services[name]; ok {
			c := *s
			out = append(out, &c)
		}
	}
	return out, nil
}

// Usage implements scheduler.Source.
func (h *Harness) Usage(context.Context) (map[string]model.Usage, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return maps.Clone(h.usage), nil
}

// Claim implements scheduler.Claimer: it records a if a.Host exists and has
// room (Capacity minus usage), atomically. No room gives ErrConflict; an
// unknown host ErrNotFound; a container already allocated ErrAlreadyExists.
func (h *Harness) Claim(ctx context.Context, a model.Allocation) error {
	if err := h.delay(ctx); err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.claimLocked(a)
}

// ClaimBatch implements scheduler.BatchClaimer: it claims each allocation
// as Claim does, in order, atomically for the whole batch.
func (h *Harness) ClaimBatch(ctx context.Context, allocs []model.Allocation) []error {
	errs := make([]error, len(allocs))
	if err := h.delay(ctx); err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.batches++
	for i, a := range allocs {
		errs[i] = h.claimLocked(a)
	}
	return errs
}

func (h *Harness) delay(ctx context.Context) error {
	if h.ClaimDelay <= 0 {
		return nil
	}
	select {
	case <-time.After(h.ClaimDelay):
		return nil
	case <-ctx.Done():
		return fmt.Errorf("failed to claim: %w", ctx.Err())
	}
}

// claimLocked claims a; h.mu is held.
func (h *Harness) claimLocked(a model.Allocation) error {
	h.claims++
	n, ok := h.nodes[a.Host]
	if !ok {
		return fmt.Errorf("host %q: %w", a.Host, errdefs.ErrNotFound)
	}
	if _, ok := h.allocs[a.ContainerUUID]; ok {
		return fmt.Errorf("allocation of container %q: %w", a.ContainerUUID, errdefs.ErrAlreadyExists)
	}
	u := h.usage[a.Host]
	if !h.Unchecked && !Fits(n, u, a) {
		h.conflicts++
		return fmt.Errorf("host %q has no room for container %q: %w", a.Host, a.ContainerUUID, errdefs.ErrConflict)
	}
	u.CPU += a.CPU
	u.Memory += a.Memory
	u.Disk += a.Disk
	u.Containers++
	h.usage[a.Host] = u
	h.allocs[a.ContainerUUID] = a
	return nil
}

// Batches returns how many ClaimBatch calls the harness has seen.
func (h *Harness) Batches() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.batches
}

// Release drops a container's allocation (no error if none).
func (h *Harness) Release(uuid string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	a, ok := h.allocs[uuid]
	if !ok {
		return
	}
	delete(h.allocs, uuid)
	u := h.usage[a.Host]
	u.CPU -= a.CPU
	u.Memory -= a.Memory
	u.Disk -= a.Disk
	u.Containers--
	h.usage[a.Host] = u
}

// Allocations returns the allocations sorted by container UUID.
func (h *Harness) Allocations() []model.Allocation {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := slices.Collect(maps.Values(h.allocs))
	slices.SortFunc(out, func(a, b model.Allocation) int {
		switch {
		case a.ContainerUUID < b.ContainerUUID:
			return -1
		case a.ContainerUUID > b.ContainerUUID:
			return 1
		}
		return 0
	})
	return out
}

// Stats returns how many Source loads (Hosts calls), claims and refused
// claims the harness has seen.
func (h *Harness) Stats() (loads, claims, conflicts int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.loads, h.claims, h.conflicts
}

// Node returns a copy of host's node and service, and its usage.
func (h *Harness) Node(host string) (model.ComputeNode, model.Service, model.Usage, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n, ok := h.nodes[host]
	if !ok {
		return model.ComputeNode{}, model.Service{}, model.Usage{}, false
	}
	var s model.Service
	if p := h.services[host]; p != nil {
		s = *p
	}
	return *n, s, h.usage[host], true
}

// HostNames returns the hostnames in insertion order.
func (h *Harness) HostNames() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.order)
}

// CheckCapacity returns an error naming the first host whose usage exceeds
// its capacity in any dimension.
func (h *Harness) CheckCapacity() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, name := range h.order {
		n, u := h.nodes[name], h.usage[name]
		if !Fits(n, model.Usage{}, model.Allocation{CPU: u.CPU, Memory: u.Memory, Disk: u.Disk}) {
			c, m, d := n.Capacity()
			return fmt.Errorf("host %q over-committed: used cpu %g/%g mem %d/%d disk %d/%d: %w",
				name, u.CPU, c, u.Memory, m, u.Disk, d, errdefs.ErrConflict)
		}
	}
	return nil
}

// Fits reports whether a fits on n on top of u.
func Fits(n *model.ComputeNode, u model.Usage, a model.Allocation) bool {
	c, m, d := n.Capacity()
	// A tiny tolerance absorbs float rounding of summed fractional cpus.
	return u.CPU+a.CPU <= c+1e-9 && u.Memory+a.Memory <= m && u.Disk+a.Disk <= d
}
