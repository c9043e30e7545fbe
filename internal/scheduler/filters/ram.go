package filters

import "github.com/openzun/zun/internal/scheduler/schedcore"

// RAM passes hosts with at least the requested MiB free (capacity after the
// reservation and allocation ratio, minus usage).
type RAM struct{}

// Name implements schedcore.Filter.
func (RAM) Name() string { return "RamFilter" }

// Pass implements schedcore.Filter.
func (RAM) Pass(h *schedcore.HostState, r *schedcore.Request) bool {
	return r.Memory <= 0 || h.FreeMemory() >= r.Memory
}
