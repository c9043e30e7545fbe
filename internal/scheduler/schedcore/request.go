package schedcore

// Request is what one container asks of a host.
type Request struct {
	// ContainerUUID identifies the container the claim is recorded for.
	ContainerUUID string
	// CPU is the number of (possibly fractional) vCPUs; 0 asks for none.
	CPU float64
	// Memory is in MiB; 0 asks for none.
	Memory int64
	// Disk is in GiB; 0 means no disk quota is requested.
	Disk int64
	// VolumeDisk is the GiB of the container's new local volumes (no host
	// holds them yet): they take room on the chosen host's disk, quota
	// support or not.
	VolumeDisk int64
	// AvailabilityZone is the requested zone; empty falls back to the
	// scheduler's default schedule zone.
	AvailabilityZone string
	// Runtime is the requested container runtime (e.g. "runc"); empty
	// accepts any host.
	Runtime string
	// RequestedHost pins the container to one hostname (admin only).
	RequestedHost string
	// VolumeHost is the host holding the container's local volumes (set
	// when one of them already has a host).
	VolumeHost string
	// Hints are the scheduler hints of the create request. A key
	// "label:<k>" with value <v> (from `--hint label:<k>=<v>`) requires the
	// host's daemon label <k> to equal <v>.
	Hints map[string]string
}
