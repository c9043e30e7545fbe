package weighers

import "github.com/openzun/zun/internal/scheduler/schedcore"

// RAM counts twice as much as CPU: memory is not compressible and is the
// resource containers run out of first.
const (
	ramShare = 2.0 / 3.0
	cpuShare = 1.0 / 3.0
)

// freeFraction returns the share of h's capacity that would stay free after
// placing r, RAM and CPU blended, clamped to [0, 1]. A dimension without
// capacity counts as full.
func freeFraction(h *schedcore.HostState, r *schedcore.Request) float64 {
	capCPU, capMem, _ := h.Capacity()
	return ramShare*fraction(float64(capMem)-float64(h.Used.Memory)-float64(max(r.Memory, 0)), float64(capMem)) +
		cpuShare*fraction(capCPU-h.Used.CPU-max(r.CPU, 0), capCPU)
}

func fraction(free, total float64) float64 {
	if total <= 0 || free <= 0 {
		return 0
	}
	if free >= total {
		return 1
	}
	return free / total
}
