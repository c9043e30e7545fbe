package filters

import "github.com/openzun/zun/internal/scheduler/schedcore"

// AvailabilityZone passes hosts whose service zone equals the requested zone
// (or DefaultScheduleZone when the request names none). A service without a
// zone is in DefaultAvailabilityZone. With no zone requested and no default
// schedule zone, every host passes.
type AvailabilityZone struct {
	DefaultScheduleZone     string
	DefaultAvailabilityZone string
}

// Name implements schedcore.Filter.
func (AvailabilityZone) Name() string { return "AvailabilityZoneFilter" }

// Pass implements schedcore.Filter.
func (f AvailabilityZone) Pass(h *schedcore.HostState, r *schedcore.Request) bool {
	want := r.AvailabilityZone
	if want == "" {
		want = f.DefaultScheduleZone
	}
	if want == "" {
		return true
	}
	have := h.Service.AvailabilityZone
	if have == "" {
		have = f.DefaultAvailabilityZone
	}
	return want == have
}
