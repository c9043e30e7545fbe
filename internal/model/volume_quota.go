package model

// Cinder's per-project volume quota resources.
const (
	VolumeQuotaVolumes   = "volumes"
	VolumeQuotaGigabytes = "gigabytes"
)

// VolumeQuotaResources lists the volume quota resources.
var VolumeQuotaResources = []string{VolumeQuotaGigabytes, VolumeQuotaVolumes}

// DefaultVolumeQuotaLimits are Cinder's built-in defaults (quota_volumes,
// quota_gigabytes).
func DefaultVolumeQuotaLimits() QuotaLimits {
	return QuotaLimits{VolumeQuotaVolumes: 10, VolumeQuotaGigabytes: 1000}
}

// VolumeUsage is what a project's volumes use: their number and GiB.
type VolumeUsage struct {
	Volumes   int64
	Gigabytes int64
}
