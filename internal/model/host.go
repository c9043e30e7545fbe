package model

import "time"

// ComputeNode is a compute host's inventory as its agent reports it.
// Capacity is what the host has; usage by containers is derived from the
// store's allocations, never from this record.
type ComputeNode struct {
	UUID               string            `json:"uuid"`
	Hostname           string            `json:"hostname"`
	CPUs               int               `json:"cpus"`
	MemTotal           int64             `json:"mem_total"`  // MiB
	DiskTotal          int64             `json:"disk_total"` // GiB
	DiskQuotaSupported bool              `json:"disk_quota_supported"`
	Architecture       string            `json:"architecture"`
	OSType             string            `json:"os_type"`
	OS                 string            `json:"os"`
	KernelVersion      string            `json:"kernel_version"`
	Labels             map[string]string `json:"labels,omitempty"`
	Runtimes           []string          `json:"runtimes,omitempty"`
	// TunnelIP is the host's VXLAN endpoint address (--tunnel-ip), where
	// other hosts send the traffic of tenant networks.
	TunnelIP string `json:"tunnel_ip,omitempty"`
	// PhysicalNetworks are the physical networks the host has a bridge for
	// (--physical-bridge): only such a host can hold a router whose
	// gateway is on a flat network of one of them.
	PhysicalNetworks []string `json:"physical_networks,omitempty"`
	// Allocation ratios and reserved amounts applied by the claim.
	CPUAllocationRatio  float64   `json:"cpu_allocation_ratio"`
	RAMAllocationRatio  float64   `json:"ram_allocation_ratio"`
	DiskAllocationRatio float64   `json:"disk_allocation_ratio"`
	ReservedMemory      int64     `json:"reserved_memory"` // MiB
	CreatedAt           time.Time `json:"created_at,omitzero"`
	UpdatedAt           time.Time `json:"updated_at,omitzero"`
}

// Usage is what containers have claimed on a host.
type Usage struct {
	CPU        float64 `json:"cpu"`
	Memory     int64   `json:"memory"`
	Disk       int64   `json:"disk"`
	Containers int     `json:"containers"`
}

// Capacity returns the claimable amounts of n after ratios and reservations.
func (n *ComputeNode) Capacity() (cpu float64, mem int64, disk int64) {
	cr, rr, dr := n.CPUAllocationRatio, n.RAMAllocationRatio, n.DiskAllocationRatio
	if cr <= 0 {
		cr = 1
	}
	if rr <= 0 {
		rr = 1
	}
	if dr <= 0 {
		dr = 1
	}
	cpu = float64(n.CPUs) * cr
	mem = int64(float64(n.MemTotal-n.ReservedMemory) * rr)
	disk = int64(float64(n.DiskTotal) * dr)
	return
}

// Allocation is a container's claim on a host.
type Allocation struct {
	ContainerUUID string  `json:"container_uuid"`
	Host          string  `json:"host"`
	CPU           float64 `json:"cpu"`
	Memory        int64   `json:"memory"`
	Disk          int64   `json:"disk"`
}

// Service is a zun service (zun-compute on a host) with its heartbeat.
type Service struct {
	ID               int64     `json:"id"`
	Host             string    `json:"host"`
	Binary           string    `json:"binary"`
	Disabled         bool      `json:"disabled"`
	DisabledReason   string    `json:"disabled_reason,omitempty"`
	ForcedDown       bool      `json:"forced_down"`
	LastSeenUp       time.Time `json:"last_seen_up,omitzero"`
	ReportCount      int64     `json:"report_count"`
	AvailabilityZone string    `json:"availability_zone"`
	CreatedAt        time.Time `json:"created_at,omitzero"`
	UpdatedAt        time.Time `json:"updated_at,omitzero"`
}

// IsUp reports whether s counts as up at now given the down time.
func (s *Service) IsUp(now time.Time, downAfter time.Duration) bool {
	return !s.ForcedDown && !s.LastSeenUp.IsZero() && now.Sub(s.LastSeenUp) <= downAfter
}
