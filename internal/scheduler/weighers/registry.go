package weighers

import (
	"fmt"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/scheduler/schedcore"
)

// Default is the weigher used when none is configured.
const Default = "spread"

// ByName returns the weigher called name ("" means Default). An unknown
// name gives errdefs.ErrInvalidArgument.
func ByName(name string) (schedcore.Weigher, error) {
	switch name {
	case "", "spread":
		return Spread{}, nil
	case "binpack":
		return Binpack{}, nil
	}
	return nil, fmt.Errorf("unknown scheduler weigher %q: %w", name, errdefs.ErrInvalidArgument)
}

var (
	_ schedcore.Weigher = Spread{}
	_ schedcore.Weigher = Binpack{}
)
