package model

// Network quotas (Neutron's quota engine): a project may hold at most so
// many records of each quota'd kind. Limits are integers; -1 (Unlimited)
// never refuses.

// KindQuota is the kind of a project's quota overrides among the network
// records (ID and project: the project's ID).
const KindQuota = "quota"

// NetQuotaResources are the quota'd kinds in Neutron's order of its
// quota table; each resource is named as its record kind.
var NetQuotaResources = []string{
	KindNetwork, KindSubnet, KindPort, KindRouter, KindFloatingIP, KindSecurityGroup, KindSecurityGroupRule,
}

// DefaultNetQuotaLimits are Neutron's defaults ([quotas] of neutron.conf).
func DefaultNetQuotaLimits() QuotaLimits {
	return QuotaLimits{KindNetwork: 100, KindSubnet: 100, KindPort: 500, KindRouter: 10, KindFloatingIP: 50,
		KindSecurityGroup: 10, KindSecurityGroupRule: 100}
}

// NetQuota is a project's overrides of the network quota defaults: only
// the resources an administrator set; the others keep the defaults.
type NetQuota struct {
	NetMeta
	Limits QuotaLimits `json:"limits"`
}

// NetQuotaUsage is one resource of a project's quota details.
type NetQuotaUsage struct {
	Used  int64 `json:"used"`
	Limit int64 `json:"limit"`
	// Reserved is always 0: records are counted inside the transaction
	// that adds them, so nothing is ever held in reserve.
	Reserved int64 `json:"reserved"`
}
