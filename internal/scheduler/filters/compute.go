package filters

import (
	"time"

	"github.com/openzun/zun/internal/scheduler/schedcore"
)

// Compute passes hosts whose zun-compute service is enabled, not forced
// down, and heartbeated within ServiceDownTime of the snapshot time.
type Compute struct {
	ServiceDownTime time.Duration
}

// Name implements schedcore.Filter.
func (Compute) Name() string { return "ComputeFilter" }

// Pass implements schedcore.Filter.
func (f Compute) Pass(h *schedcore.HostState, _ *schedcore.Request) bool {
	return !h.Service.Disabled && h.ServiceUp(f.ServiceDownTime)
}
