package compute

import "time"

// Config configures an agent.
type Config struct {
	// Host is this agent's host name, unique in the cloud.
	Host             string
	Binary           string // "zun-compute"
	AvailabilityZone string // default "nova"
	// HeartbeatInterval is how often the service heartbeat is sent; the API
	// counts a service down after its ServiceDownTime without one.
	HeartbeatInterval time.Duration
	// InventoryInterval is how often the host inventory is re-reported.
	InventoryInterval time.Duration
	// SyncInterval is the period of the full reconcile with the engine.
	SyncInterval time.Duration
	// Allocation ratios and reservations reported with the inventory.
	CPUAllocationRatio  float64
	RAMAllocationRatio  float64
	DiskAllocationRatio float64
	ReservedMemory      int64 // MiB
	// ExecTimeout bounds a non-interactive exec (Zun: 5 s).
	ExecTimeout time.Duration
	// MaxExecOutput caps the output of an exec, in bytes.
	MaxExecOutput int
	// DefaultStopTimeout is used when a stop names none.
	DefaultStopTimeout time.Duration
	// Console link (attach and interactive exec through zun-wsproxy).
	// ConsoleSecret is the deployment's shared link secret; empty turns
	// the link off. ConsoleListen is its address (default 127.0.0.1:0);
	// ConsoleAdvertise the address the proxy dials (default: the bound
	// address).
	ConsoleSecret    []byte
	ConsoleListen    string
	ConsoleAdvertise string
	// MaxSessionsPerContainer bounds concurrent console sessions of one
	// container (default 4).
	MaxSessionsPerContainer int
	// MaxArchiveBytes caps get_archive and put_archive archives (default
	// 512 KiB: the archive travels in one bus message).
	MaxArchiveBytes int64
	// MaxArchiveEntries caps the entries of a put_archive archive.
	MaxArchiveEntries int
	// MaxStreamedArchiveBytes caps a copy streamed over the console link
	// (default 1 GiB); a streamed put is spooled, rewritten, under
	// ArchiveSpoolDir until it is complete (default: the OS temp dir, but
	// the service puts it in the data dir: /tmp may be memory).
	MaxStreamedArchiveBytes int64
	ArchiveSpoolDir         string
	// VolumeDir (absolute) holds the local volumes and injected files;
	// empty leaves the host without volumes.
	VolumeDir string
	// ImageCacheDir keeps the verified archives the glance image driver
	// downloaded (default: a directory under the OS temp dir).
	ImageCacheDir string
	// TunnelIP is the host's VXLAN endpoint, reported with the inventory
	// (model.ComputeNode.TunnelIP).
	TunnelIP string
	// PhysicalNetworks are the physical networks this host bridges,
	// reported with the inventory (model.ComputeNode.PhysicalNetworks).
	PhysicalNetworks []string
	// ImageGC configures the unused-image GC (imagegc.go).
	ImageGC ImageGCConfig
}

func (c *Config) setDefaults() {
	if c.Binary == "" {
		c.Binary = "zun-compute"
	}
	if c.AvailabilityZone == "" {
		c.AvailabilityZone = "nova"
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = 10 * time.Second
	}
	if c.InventoryInterval <= 0 {
		c.InventoryInterval = 60 * time.Second
	}
	if c.SyncInterval <= 0 {
		c.SyncInterval = 60 * time.Second
	}
	if c.CPUAllocationRatio <= 0 {
		c.CPUAllocationRatio = 16
	}
	if c.RAMAllocationRatio <= 0 {
		c.RAMAllocationRatio = 1.5
	}
	if c.DiskAllocationRatio <= 0 {
		c.DiskAllocationRatio = 1
	}
	if c.ExecTimeout <= 0 {
		c.ExecTimeout = 5 * time.Second
	}
	if c.MaxExecOutput <= 0 {
		c.MaxExecOutput = 512 << 10
	}
	if c.ConsoleListen == "" {
		c.ConsoleListen = "127.0.0.1:0"
	}
	if c.MaxSessionsPerContainer <= 0 {
		c.MaxSessionsPerContainer = 4
	}
	if c.MaxArchiveBytes <= 0 {
		c.MaxArchiveBytes = 512 << 10
	}
	if c.MaxStreamedArchiveBytes <= 0 {
		c.MaxStreamedArchiveBytes = 1 << 30
	}
	if c.MaxArchiveEntries <= 0 {
		c.MaxArchiveEntries = 10000
	}
	c.ImageGC.setDefaults()
	if c.DefaultStopTimeout <= 0 {
		c.DefaultStopTimeout = 10 * time.Second
	}
}
