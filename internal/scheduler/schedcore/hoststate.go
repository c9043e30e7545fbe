package schedcore

import (
	"time"

	"github.com/openzun/zun/internal/model"
)

// HostState is one compute host as a decision sees it: its inventory, its
// zun-compute service record and what allocations already claim on it.
type HostState struct {
	Node    model.ComputeNode
	Service model.Service
	Used    model.Usage
	// Now is the time the snapshot was taken; filters use it instead of
	// reading the clock, so a decision is reproducible.
	Now time.Time
	// derived caches values computed once per snapshot (see derive), as
	// filters read them for thousands of hosts per decision.
	derived derived
	// refused is the latest request a durable claim on this host was
	// refused for since the snapshot was taken (see Refuse).
	refused    Request
	refusedSet bool
}

type derived struct {
	ok        bool
	cpu       float64
	mem, disk int64
	age       time.Duration
}

// derive fills the cache from Node, Service and Now. A HostState built
// without NewSnapshot has no cache and computes on every call.
func (h *HostState) derive() {
	h.derived.cpu, h.derived.mem, h.derived.disk = h.Node.Capacity()
	h.derived.age = h.Now.Sub(h.Service.LastSeenUp)
	h.derived.ok = true
}

// Capacity returns the node's claimable totals (Node.Capacity).
func (h *HostState) Capacity() (cpu float64, mem, disk int64) {
	if h.derived.ok {
		return h.derived.cpu, h.derived.mem, h.derived.disk
	}
	return h.Node.Capacity()
}

// ServiceUp reports whether the service counts as up at Now given the down
// time: not forced down and heartbeated within downAfter (as
// model.Service.IsUp).
func (h *HostState) ServiceUp(downAfter time.Duration) bool {
	if !h.derived.ok {
		return h.Service.IsUp(h.Now, downAfter)
	}
	return !h.Service.ForcedDown && !h.Service.LastSeenUp.IsZero() && h.derived.age <= downAfter
}

// FreeCPU returns the claimable vCPUs left after ratios and usage.
func (h *HostState) FreeCPU() float64 {
	c, _, _ := h.Capacity()
	return c - h.Used.CPU
}

// FreeMemory returns the claimable MiB left after reservation, ratio and
// usage.
func (h *HostState) FreeMemory() int64 {
	_, m, _ := h.Capacity()
	return m - h.Used.Memory
}

// FreeDisk returns the claimable GiB left after ratio and usage.
func (h *HostState) FreeDisk() int64 {
	_, _, d := h.Capacity()
	return d - h.Used.Disk
}

// Consume adds r's amounts to Used, as a successful claim did in the store.
func (h *HostState) Consume(r *Request) {
	h.Used.CPU += r.CPU
	h.Used.Memory += r.Memory
	h.Used.Disk += r.Disk + r.VolumeDisk
	h.Used.Containers++
}

// Refuse records that the store refused a claim of r on this host (someone
// else took the room). Until the next snapshot, requests at least as large
// as r in every dimension are known not to fit and are skipped.
func (h *HostState) Refuse(r *Request) {
	h.refused = Request{CPU: r.CPU, Memory: r.Memory, Disk: r.Disk, VolumeDisk: r.VolumeDisk}
	h.refusedSet = true
}

// KnownFull reports whether a refusal recorded by Refuse proves r cannot fit:
// r asks for at least as much of every resource as a refused request.
func (h *HostState) KnownFull(r *Request) bool {
	return h.refusedSet && r.CPU >= h.refused.CPU && r.Memory >= h.refused.Memory && r.Disk >= h.refused.Disk &&
		r.VolumeDisk >= h.refused.VolumeDisk
}
