package filters

import "github.com/openzun/zun/internal/scheduler/schedcore"

// Disk passes every host when no disk is requested; otherwise the host must
// support disk quotas and have at least the requested GiB free.
type Disk struct{}

// Name implements schedcore.Filter.
func (Disk) Name() string { return "DiskFilter" }

// Pass implements schedcore.Filter.
func (Disk) Pass(h *schedcore.HostState, r *schedcore.Request) bool {
	if r.Disk <= 0 {
		return true
	}
	return h.Node.DiskQuotaSupported && h.FreeDisk() >= r.Disk
}
