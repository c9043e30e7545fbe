package model

// Tenant networking: the records the control plane owns are in the network
// service's store; what crosses the bus to the agents is below.
//
// The control plane (network service) allocates ports and addresses and
// decides placement; an agent only ever receives the HostNetworkState of
// its own host and makes the kernel match it (internal/netplane), and its
// Docker network plugin binds the ports the control plane created to the
// engine's endpoints. Agents never allocate an address.

// PortAttachment is one port of a container (or of a capsule's sandbox) as
// the container record carries it: created by the control plane before the
// container is scheduled, bound to the container's host after the claim.
type PortAttachment struct {
	PortID    string    `json:"port_id"`
	NetworkID string    `json:"network_id"`
	MAC       string    `json:"mac"`
	FixedIPs  []FixedIP `json:"fixed_ips"`
	// Preserve is set when the user created the port (nets: port=...): the
	// port is unbound, not deleted, when the container goes away.
	Preserve bool `json:"preserve_on_delete"`
}

// FixedIP is one address of a port with what the container needs to
// configure it.
type FixedIP struct {
	SubnetID  string `json:"subnet_id"`
	IPAddress string `json:"ip_address"`
	Version   int    `json:"version"` // 4 or 6
	CIDR      string `json:"cidr"`    // the subnet's, e.g. 10.0.0.0/24
	GatewayIP string `json:"gateway_ip,omitempty"`
}

// HostNetworkState is everything the data plane of one host must hold. It
// is computed by the control plane on request (conductor NetworkState) and
// applied by the agent as a whole, idempotently: anything of ours on the
// host that the state does not name is removed.
type HostNetworkState struct {
	Host string `json:"host"`
	// Revision grows with every change of the control plane's network
	// records; an agent never applies a state older than one it applied.
	Revision int64 `json:"revision"`
	// Networks are those with at least one port on this host, plus the
	// external networks of routers placed here.
	Networks []NetworkSpec `json:"networks"`
	// Ports are the ports bound to this host (binding:host_id).
	Ports []PortSpec `json:"ports"`
	// SecurityGroups are the groups of those ports and the groups their
	// rules name as remote_group_id, with the member addresses of each.
	SecurityGroups []SecurityGroupSpec `json:"security_groups"`
	// Remote are ports of the same networks bound to other hosts: static
	// VXLAN forwarding and neighbour entries, so nothing is flooded.
	Remote []RemotePort `json:"remote"`
	// Routers are the routers placed on this host.
	Routers []RouterSpec `json:"routers"`
}

// Network types of NetworkSpec.Type.
const (
	NetworkTypeVXLAN = "vxlan" // tenant networks spanning hosts
	NetworkTypeFlat  = "flat"  // a physical network: the external network's bridge
)

// NetworkSpec is a network as the data plane needs it.
type NetworkSpec struct {
	ID        string `json:"id"`
	ProjectID string `json:"project_id"`
	Type      string `json:"type"` // NetworkTypeVXLAN or NetworkTypeFlat
	// SegmentationID is the VXLAN VNI (1..16777215) of a vxlan network.
	SegmentationID int `json:"segmentation_id,omitempty"`
	// PhysicalNetwork names the host bridge mapping of a flat network
	// (the agent's --physical-bridge public=zun-ex).
	PhysicalNetwork string       `json:"physical_network,omitempty"`
	MTU             int          `json:"mtu"`
	External        bool         `json:"router_external"`
	Subnets         []SubnetSpec `json:"subnets"`
}

// SubnetSpec is a subnet as the data plane needs it.
type SubnetSpec struct {
	ID             string   `json:"id"`
	CIDR           string   `json:"cidr"`
	IPVersion      int      `json:"ip_version"`
	GatewayIP      string   `json:"gateway_ip,omitempty"`
	DNSNameservers []string `json:"dns_nameservers,omitempty"`
}

// PortSpec is a port bound to this host.
type PortSpec struct {
	ID        string   `json:"id"`
	NetworkID string   `json:"network_id"`
	ProjectID string   `json:"project_id"`
	MAC       string   `json:"mac_address"`
	IPs       []string `json:"ips"` // addresses without prefix
	// SecurityGroups are group IDs; PortSecurity false (router ports) means
	// no filtering and no anti-spoofing.
	SecurityGroups []string `json:"security_groups"`
	PortSecurity   bool     `json:"port_security_enabled"`
	DeviceID       string   `json:"device_id"`
	DeviceOwner    string   `json:"device_owner"`
	// AllowedAddressPairs widen anti-spoofing (Neutron's extension).
	AllowedAddressPairs []AddressPair `json:"allowed_address_pairs,omitempty"`
}

// AddressPair is an extra source a port may send from.
type AddressPair struct {
	IPAddress  string `json:"ip_address"` // address or CIDR
	MACAddress string `json:"mac_address,omitempty"`
}

// SecurityGroupSpec is a group with its rules and the addresses of its
// member ports (for rules naming it as remote_group_id).
type SecurityGroupSpec struct {
	ID        string             `json:"id"`
	Rules     []SecurityRuleSpec `json:"rules"`
	MemberIPs []string           `json:"member_ips"`
}

// SecurityRuleSpec is one rule, Neutron's semantics: stateful, allow-only;
// what no rule allows is dropped.
type SecurityRuleSpec struct {
	ID        string `json:"id"`
	Direction string `json:"direction"` // ingress or egress
	Ethertype string `json:"ethertype"` // IPv4 or IPv6
	// Protocol is "" (any), a name (tcp, udp, icmp, icmpv6) or a number.
	Protocol string `json:"protocol,omitempty"`
	// PortRangeMin/Max: 0 is any; for icmp they are type and code.
	PortRangeMin   int    `json:"port_range_min,omitempty"`
	PortRangeMax   int    `json:"port_range_max,omitempty"`
	RemoteIPPrefix string `json:"remote_ip_prefix,omitempty"`
	RemoteGroupID  string `json:"remote_group_id,omitempty"`
}

// RemotePort is a port of the same network on another host.
type RemotePort struct {
	NetworkID string   `json:"network_id"`
	MAC       string   `json:"mac_address"`
	IPs       []string `json:"ips"`
	// VTEP is the tunnel address of the port's host (ComputeNode.TunnelIP).
	VTEP string `json:"vtep"`
}

// RouterSpec is a router placed on this host: a network namespace with one
// interface per attached subnet and a gateway on an external network.
type RouterSpec struct {
	ID         string            `json:"id"`
	ProjectID  string            `json:"project_id"`
	Gateway    *RouterGateway    `json:"gateway,omitempty"`
	Interfaces []RouterInterface `json:"interfaces"`
	// FloatingIPs are the associated floating IPs of this router's
	// external network whose fixed port sits behind one of its interfaces.
	FloatingIPs []FloatingIPSpec `json:"floating_ips"`
}

// RouterGateway is a router's port on an external network.
type RouterGateway struct {
	NetworkID string `json:"network_id"`
	PortID    string `json:"port_id"`
	MAC       string `json:"mac_address"`
	IP        string `json:"ip"`   // the router's external address
	CIDR      string `json:"cidr"` // the external subnet
	// GatewayIP is the external subnet's gateway (the default route).
	GatewayIP  string `json:"gateway_ip,omitempty"`
	EnableSNAT bool   `json:"enable_snat"`
}

// RouterInterface is a router's port on a tenant subnet (its gateway
// address).
type RouterInterface struct {
	PortID    string `json:"port_id"`
	NetworkID string `json:"network_id"`
	SubnetID  string `json:"subnet_id"`
	MAC       string `json:"mac_address"`
	IP        string `json:"ip"`
	CIDR      string `json:"cidr"`
}

// FloatingIPSpec maps an external address to a port's fixed address.
type FloatingIPSpec struct {
	ID         string `json:"id"`
	FloatingIP string `json:"floating_ip_address"`
	FixedIP    string `json:"fixed_ip_address"`
	PortID     string `json:"port_id"`
}
