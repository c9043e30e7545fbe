package filters

import "github.com/openzun/zun/internal/scheduler/schedcore"

// RequestedHost passes only the requested host when the request names one.
type RequestedHost struct{}

// Name implements schedcore.Filter.
func (RequestedHost) Name() string { return "RequestedHostFilter" }

// Pass implements schedcore.Filter.
func (RequestedHost) Pass(h *schedcore.HostState, r *schedcore.Request) bool {
	return r.RequestedHost == "" || r.RequestedHost == h.Node.Hostname
}

// PinnedHost names the only host r may go to ("" if any), so the scheduler
// can look it up instead of scanning every host.
func (RequestedHost) PinnedHost(r *schedcore.Request) string { return r.RequestedHost }
