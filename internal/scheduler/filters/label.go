package filters

import (
	"strings"

	"github.com/openzun/zun/internal/scheduler/schedcore"
)

// LabelPrefix marks a scheduler hint as a label constraint.
const LabelPrefix = "label:"

// Label passes hosts whose daemon labels match every hint "label:<k>" = <v>
// of the request. Other hints are ignored.
type Label struct{}

// Name implements schedcore.Filter.
func (Label) Name() string { return "LabelFilter" }

// Pass implements schedcore.Filter.
func (Label) Pass(h *schedcore.HostState, r *schedcore.Request) bool {
	if len(r.Hints) == 0 {
		return true
	}
	for k, v := range r.Hints {
		key, ok := strings.CutPrefix(k, LabelPrefix)
		if !ok {
			continue
		}
		have, ok := h.Node.Labels[key]
		if !ok || have != v {
			return false
		}
	}
	return true
}
