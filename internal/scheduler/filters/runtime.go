package filters

import (
	"slices"

	"github.com/openzun/zun/internal/scheduler/schedcore"
)

// Runtime passes hosts whose Docker daemon offers the requested runtime; a
// request without a runtime passes everywhere.
type Runtime struct{}

// Name implements schedcore.Filter.
func (Runtime) Name() string { return "RuntimeFilter" }

// Pass implements schedcore.Filter.
func (Runtime) Pass(h *schedcore.HostState, r *schedcore.Request) bool {
	return r.Runtime == "" || slices.Contains(h.Node.Runtimes, r.Runtime)
}
