package filters

import "github.com/openzun/zun/internal/scheduler/schedcore"

// VolumeHost passes only the host holding the request's local volumes: a
// volume is a file on one host, so its container must run there.
type VolumeHost struct{}

// Name implements schedcore.Filter.
func (VolumeHost) Name() string { return "VolumeHostFilter" }

// Pass implements schedcore.Filter.
func (VolumeHost) Pass(h *schedcore.HostState, r *schedcore.Request) bool {
	return r.VolumeHost == "" || h.Node.Hostname == r.VolumeHost
}
