package scheduler

import (
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/scheduler/schedcore"
)

// Aliases of the schedcore vocabulary, so callers only import scheduler.
type (
	// Request is what one container asks of a host.
	Request = schedcore.Request
	// HostState is one compute host as a decision sees it.
	HostState = schedcore.HostState
	// Snapshot is the set of schedulable hosts a decision is taken on.
	Snapshot = schedcore.Snapshot
	// Filter removes hosts that cannot take a request.
	Filter = schedcore.Filter
	// Weigher ranks feasible hosts; higher is better.
	Weigher = schedcore.Weigher
)

// NewSnapshot joins nodes with their zun-compute service and usage.
var NewSnapshot = schedcore.NewSnapshot

// ErrNoValidHost is returned by Schedule when no host can take the request.
// It is in category errdefs.ErrConflict and its text is Zun's user message.
var ErrNoValidHost = errdefs.New(errdefs.ErrConflict, "There are not enough hosts available.")
