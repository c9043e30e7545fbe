package weighers

import "github.com/openzun/zun/internal/scheduler/schedcore"

// Binpack prefers the host that would be the fullest after placing the
// request, so that whole hosts stay free for large containers.
type Binpack struct{}

// Name implements schedcore.Weigher.
func (Binpack) Name() string { return "binpack" }

// Weight implements schedcore.Weigher.
func (Binpack) Weight(h *schedcore.HostState, r *schedcore.Request) float64 {
	return 1 - freeFraction(h, r)
}
