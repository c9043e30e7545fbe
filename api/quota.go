package api

// Quota is the body of PUT and GET /v1/quotas/{project_id}, GET
// /v1/quotas/{project_id}/defaults and the quota class calls (Since: 1.26).
// Each field is a limit; -1 means unlimited.
type Quota struct {
	// Containers is the number of containers. Example: 40.
	Containers int64 `json:"containers"`
	// CPU is the sum of the containers' cpu. Example: 20.
	CPU int64 `json:"cpu"`
	// Disk is the sum of the containers' disk, in GiB. Example: 100.
	Disk int64 `json:"disk"`
	// Memory is the sum of the containers' memory, in MiB. Example: 51200.
	Memory int64 `json:"memory"`
}

// QuotaUpdate is the body of PUT /v1/quotas/{project_id} and PUT
// /v1/quota_classes/{name}: the limits to set; absent ones keep their
// value. Each is an integer >= -1 (a string of digits is accepted too).
type QuotaUpdate struct {
	Containers *int64 `json:"containers,omitempty"`
	CPU        *int64 `json:"cpu,omitempty"`
	Disk       *int64 `json:"disk,omitempty"`
	Memory     *int64 `json:"memory,omitempty"`
}

// QuotaUsage is one resource of GET /v1/quotas/{project_id}?usages=true.
type QuotaUsage struct {
	// Limit is the effective limit (-1 unlimited).
	Limit int64 `json:"limit"`
	// InUse is what the project's containers use now (cpu may be
	// fractional). Example: 2.5.
	InUse float64 `json:"in_use"`
}

// QuotaUsages is the body of GET /v1/quotas/{project_id}?usages=true.
type QuotaUsages struct {
	Containers QuotaUsage `json:"containers"`
	CPU        QuotaUsage `json:"cpu"`
	Disk       QuotaUsage `json:"disk"`
	Memory     QuotaUsage `json:"memory"`
}
