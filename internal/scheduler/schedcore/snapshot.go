package schedcore

import (
	"time"

	"github.com/openzun/zun/internal/model"
)

// ComputeBinary is the service binary whose record makes a node schedulable.
const ComputeBinary = "zun-compute"

// Snapshot is the set of schedulable hosts a decision is taken on, as of
// Now. Select treats it as read-only; the owner (the Scheduler) serialises
// updates to HostState.Used with readers.
type Snapshot struct {
	Now   time.Time
	Hosts []*HostState
	index map[string]*HostState
}

// NewSnapshot joins nodes with their zun-compute service and usage. Like
// Zun, a node without a zun-compute service record is not schedulable and is
// left out. Node and service records are copied, so later changes to the
// inputs do not show through.
func NewSnapshot(now time.Time, nodes []*model.ComputeNode, services []*model.Service, usage map[string]model.Usage) *Snapshot {
	svc := make(map[string]*model.Service, len(services))
	for _, s := range services {
		if s != nil && s.Binary == ComputeBinary {
			svc[s.Host] = s
		}
	}
	states := make([]HostState, 0, len(nodes))
	for _, n := range nodes {
		if n == nil {
			continue
		}
		s, ok := svc[n.Hostname]
		if !ok {
			continue
		}
		states = append(states, HostState{Node: *n, Service: *s, Used: usage[n.Hostname], Now: now})
	}
	snap := &Snapshot{
		Now:   now,
		Hosts: make([]*HostState, len(states)),
		index: make(map[string]*HostState, len(states)),
	}
	for i := range states {
		h := &states[i]
		h.derive()
		snap.Hosts[i] = h
		snap.index[h.Node.Hostname] = h
	}
	return snap
}

// Host returns the state of hostname, or nil if it is not schedulable.
func (s *Snapshot) Host(hostname string) *HostState {
	if s == nil {
		return nil
	}
	if s.index == nil {
		// A Snapshot built by hand (in tests) has no index.
		for _, h := range s.Hosts {
			if h.Node.Hostname == hostname {
				return h
			}
		}
		return nil
	}
	return s.index[hostname]
}
