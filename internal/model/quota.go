package model

// Quota resources (zun/common/quota.py). Limits are integers; -1 is
// unlimited.
const (
	QuotaContainers = "containers"
	QuotaCPU        = "cpu"
	QuotaMemory     = "memory" // MiB
	QuotaDisk       = "disk"   // GiB

	// DefaultQuotaClass is the class whose limits replace the built-in
	// defaults for every project without an override.
	DefaultQuotaClass = "default"
	// Unlimited is the limit that never refuses.
	Unlimited int64 = -1
)

// QuotaResources lists the resources in the order Zun reports them.
var QuotaResources = []string{QuotaContainers, QuotaCPU, QuotaDisk, QuotaMemory}

// QuotaLimits maps a resource to its limit.
type QuotaLimits map[string]int64

// DefaultQuotaLimits are the built-in limits ([quota] of zun.conf).
func DefaultQuotaLimits() QuotaLimits {
	return QuotaLimits{QuotaContainers: 40, QuotaCPU: 20, QuotaDisk: 100, QuotaMemory: 51200}
}

// QuotaUsage is what a project's live containers use.
type QuotaUsage struct {
	Containers int64
	CPU        float64
	Memory     int64
	Disk       int64
}

// Of returns the usage of resource r.
func (u QuotaUsage) Of(r string) float64 {
	switch r {
	case QuotaContainers:
		return float64(u.Containers)
	case QuotaCPU:
		return u.CPU
	case QuotaMemory:
		return float64(u.Memory)
	case QuotaDisk:
		return float64(u.Disk)
	}
	return 0
}

// UsageOf is what container c alone uses.
func UsageOf(c *Container) QuotaUsage {
	return QuotaUsage{Containers: 1, CPU: c.CPU, Memory: c.Memory, Disk: c.Disk}
}

// Sub returns u - v.
func (u QuotaUsage) Sub(v QuotaUsage) QuotaUsage {
	return QuotaUsage{Containers: u.Containers - v.Containers, CPU: u.CPU - v.CPU,
		Memory: u.Memory - v.Memory, Disk: u.Disk - v.Disk}
}

// Add returns u + v.
func (u QuotaUsage) Add(v QuotaUsage) QuotaUsage {
	return QuotaUsage{Containers: u.Containers + v.Containers, CPU: u.CPU + v.CPU,
		Memory: u.Memory + v.Memory, Disk: u.Disk + v.Disk}
}

// cpuEpsilon absorbs the rounding of summed fractional CPUs (0.1 + 0.2).
const cpuEpsilon = 1e-6

// Overs returns, sorted, the resources that delta increases beyond limits
// when added to usage. Resources delta does not increase are never over,
// so shrinking is always allowed even above a lowered limit.
func Overs(limits QuotaLimits, usage, delta QuotaUsage) []string {
	var out []string
	for _, r := range QuotaResources { // already sorted
		d := delta.Of(r)
		lim, ok := limits[r]
		if d <= 0 || !ok || lim < 0 {
			continue
		}
		eps := 0.0
		if r == QuotaCPU {
			eps = cpuEpsilon
		}
		if usage.Of(r)+d > float64(lim)+eps {
			out = append(out, r)
		}
	}
	return out
}
