package weighers

import "github.com/openzun/zun/internal/scheduler/schedcore"

// Spread prefers the host that keeps the largest free share of RAM, then
// CPU.
type Spread struct{}

// Name implements schedcore.Weigher.
func (Spread) Name() string { return "spread" }

// Weight implements schedcore.Weigher.
func (Spread) Weight(h *schedcore.HostState, r *schedcore.Request) float64 {
	return freeFraction(h, r)
}
