package filters

import "github.com/openzun/zun/internal/scheduler/schedcore"

// CPU passes hosts with at least the requested vCPUs free (capacity after the
// allocation ratio, minus usage).
type CPU struct{}

// Name implements schedcore.Filter.
func (CPU) Name() string { return "CPUFilter" }

// Pass implements schedcore.Filter.
func (CPU) Pass(h *schedcore.HostState, r *schedcore.Request) bool {
	return r.CPU <= 0 || h.FreeCPU() >= r.CPU
}
