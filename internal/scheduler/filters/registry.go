package filters

import (
	"fmt"
	"time"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/scheduler/schedcore"
)

// Defaults of the options, as in Zun's configuration.
const (
	DefaultAvailabilityZone = "nova"
	DefaultServiceDownTime  = 180 * time.Second
)

// Options configures the filters that need configuration.
type Options struct {
	// DefaultScheduleZone is used when a request names no zone; empty
	// means any zone ([DEFAULT] default_schedule_zone).
	DefaultScheduleZone string
	// DefaultAvailabilityZone is the zone of a service that has none
	// ([DEFAULT] default_availability_zone); empty means "nova".
	DefaultAvailabilityZone string
	// ServiceDownTime is how old a heartbeat may be for the service to
	// count as up ([DEFAULT] service_down_time); 0 means 180s.
	ServiceDownTime time.Duration
}

// DefaultNames is the filter list used when none is configured.
func DefaultNames() []string {
	return []string{
		"AvailabilityZoneFilter", "ComputeFilter", "RuntimeFilter", "RequestedHostFilter",
		"LabelFilter", "CPUFilter", "RamFilter", "DiskFilter", "VolumeHostFilter",
	}
}

// ByName returns the filter called name. An unknown name gives
// errdefs.ErrInvalidArgument.
func ByName(name string, o Options) (schedcore.Filter, error) {
	switch name {
	case "AvailabilityZoneFilter":
		az := o.DefaultAvailabilityZone
		if az == "" {
			az = DefaultAvailabilityZone
		}
		return AvailabilityZone{DefaultScheduleZone: o.DefaultScheduleZone, DefaultAvailabilityZone: az}, nil
	case "ComputeFilter":
		d := o.ServiceDownTime
		if d <= 0 {
			d = DefaultServiceDownTime
		}
		return Compute{ServiceDownTime: d}, nil
	case "RuntimeFilter":
		return Runtime{}, nil
	case "LabelFilter":
		return Label{}, nil
	case "VolumeHostFilter":
		return VolumeHost{}, nil
	case "CPUFilter":
		return CPU{}, nil
	case "RamFilter":
		return RAM{}, nil
	case "DiskFilter":
		return Disk{}, nil
	case "RequestedHostFilter":
		return RequestedHost{}, nil
	}
	return nil, fmt.Errorf("unknown scheduler filter %q: %w", name, errdefs.ErrInvalidArgument)
}

// Build returns the filters called names, in order.
func Build(names []string, o Options) ([]schedcore.Filter, error) {
	out := make([]schedcore.Filter, 0, len(names))
	for _, n := range names {
		f, err := ByName(n, o)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

var (
	_ schedcore.Filter = AvailabilityZone{}
	_ schedcore.Filter = Compute{}
	_ schedcore.Filter = Runtime{}
	_ schedcore.Filter = Label{}
	_ schedcore.Filter = CPU{}
	_ schedcore.Filter = RAM{}
	_ schedcore.Filter = Disk{}
	_ schedcore.Filter = RequestedHost{}
)
