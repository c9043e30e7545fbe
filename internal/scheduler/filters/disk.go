package filters

import "github.com/openzun/zun/internal/scheduler/schedcore"

// Disk passes every host when no disk is requested; otherwise the host must
// support disk quotas (for a container's disk) and have the requested GiB
// free, new volumes included.
type Disk struct{}

// Name implements schedcore.Filter.
func (Disk) Name() string { return "DiskFilter" }

// Pass implements schedcore.Filter.
func (Disk) Pass(h *schedcore.HostState, r *schedcore.Request) bool {
	if r.Disk <= 0 && r.VolumeDisk <= 0 {
		return true
	}
	if r.Disk > 0 && !h.Node.DiskQuotaSupported {
		return false
	}
	return h.FreeDisk() >= r.Disk+r.VolumeDisk
}
