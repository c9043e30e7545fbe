package api

// Host is the compute host view (GET /v1/hosts, 1.4+, admin).
type Host struct {
	UUID               string            `json:"uuid"`
	Links              []Link            `json:"links"`
	Hostname           string            `json:"hostname"`
	MemTotal           int64             `json:"mem_total"`
	MemUsed            int64             `json:"mem_used"`
	CPUs               int               `json:"cpus"`
	CPUUsed            float64           `json:"cpu_used"`
	DiskTotal          int64             `json:"disk_total"`
	DiskUsed           int64             `json:"disk_used"`
	DiskQuotaSupported bool              `json:"disk_quota_supported"`
	TotalContainers    int               `json:"total_containers"`
	Architecture       string            `json:"architecture"`
	OSType             string            `json:"os_type"`
	OS                 string            `json:"os"`
	KernelVersion      string            `json:"kernel_version"`
	Labels             map[string]string `json:"labels"`
	Runtimes           []string          `json:"runtimes"`
	EnableCPUPinning   *bool             `json:"enable_cpu_pinning,omitempty"`
}

// HostList is the body of GET /v1/hosts.
type HostList struct {
	Hosts []Host `json:"hosts"`
	Next  string `json:"next,omitempty"`
}

// Service is a zun service record (GET /v1/services, admin).
type Service struct {
	ID               int64   `json:"id"`
	Host             string  `json:"host"`
	Binary           string  `json:"binary"`
	State            string  `json:"state"`
	Disabled         bool    `json:"disabled"`
	DisabledReason   *string `json:"disabled_reason"`
	ForcedDown       bool    `json:"forced_down"`
	LastSeenUp       *Time   `json:"last_seen_up"`
	ReportCount      int64   `json:"report_count"`
	AvailabilityZone string  `json:"availability_zone"`
	CreatedAt        *Time   `json:"created_at"`
	UpdatedAt        *Time   `json:"updated_at"`
}

// ServiceList is the body of GET /v1/services.
type ServiceList struct {
	Services []Service `json:"services"`
}

// AvailabilityZone is one entry of GET /v1/availability_zones.
type AvailabilityZone struct {
	AvailabilityZone string `json:"availability_zone"`
}

// AvailabilityZoneList is the body of GET /v1/availability_zones.
type AvailabilityZoneList struct {
	AvailabilityZones []AvailabilityZone `json:"availability_zones"`
	Next              string             `json:"next,omitempty"`
}
