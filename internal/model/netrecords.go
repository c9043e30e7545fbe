package model

import "time"

// The network service's records (Neutron's resources). They are stored as
// JSON by the store; the fields carry Neutron's attribute names so the API
// layer can render them almost as they are. What the data plane receives
// is HostNetworkState, computed from these.

// Kinds of network records.
const (
	KindNetwork           = "network"
	KindSubnet            = "subnet"
	KindPort              = "port"
	KindSecurityGroup     = "security_group"
	KindSecurityGroupRule = "security_group_rule"
	KindRouter            = "router"
	KindFloatingIP        = "floatingip"
)

// NetMeta is what every network record has.
type NetMeta struct {
	ID          string    `json:"id"`
	ProjectID   string    `json:"project_id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// RevisionNumber is the global revision of the record's last write.
	RevisionNumber int64 `json:"revision_number"`
}

// Meta gives the store access to the common fields.
func (m *NetMeta) Meta() *NetMeta { return m }

// Network is a Neutron network.
type Network struct {
	NetMeta
	AdminStateUp bool `json:"admin_state_up"`
	// Shared networks are readable and usable by every project.
	Shared bool `json:"shared"`
	// External networks (router:external) carry router gateways and
	// floating IPs; readable by every project.
	External        bool   `json:"router_external"`
	Type            string `json:"provider_network_type"` // NetworkTypeVXLAN or NetworkTypeFlat
	SegmentationID  int    `json:"provider_segmentation_id,omitempty"`
	PhysicalNetwork string `json:"provider_physical_network,omitempty"`
	MTU             int    `json:"mtu"`
	PortSecurity    bool   `json:"port_security_enabled"`
}

// IPRange is an allocation pool of a subnet, bounds included.
type IPRange struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// HostRoute is a static route handed to ports of a subnet.
type HostRoute struct {
	Destination string `json:"destination"`
	NextHop     string `json:"nexthop"`
}

// Subnet is a Neutron subnet.
type Subnet struct {
	NetMeta
	NetworkID       string      `json:"network_id"`
	IPVersion       int         `json:"ip_version"`
	CIDR            string      `json:"cidr"`
	GatewayIP       string      `json:"gateway_ip,omitempty"`
	AllocationPools []IPRange   `json:"allocation_pools"`
	DNSNameservers  []string    `json:"dns_nameservers"`
	HostRoutes      []HostRoute `json:"host_routes"`
	EnableDHCP      bool        `json:"enable_dhcp"`
	// Shared copies the network's flag so reads need no join.
	Shared bool `json:"shared"`
}

// PortIP is one fixed address of a port.
type PortIP struct {
	SubnetID  string `json:"subnet_id"`
	IPAddress string `json:"ip_address"`
}

// Port is a Neutron port.
type Port struct {
	NetMeta
	NetworkID           string        `json:"network_id"`
	MAC                 string        `json:"mac_address"`
	FixedIPs            []PortIP      `json:"fixed_ips"`
	DeviceID            string        `json:"device_id"`
	DeviceOwner         string        `json:"device_owner"`
	HostID              string        `json:"binding_host_id"`
	SecurityGroups      []string      `json:"security_groups"`
	PortSecurity        bool          `json:"port_security_enabled"`
	AllowedAddressPairs []AddressPair `json:"allowed_address_pairs"`
	AdminStateUp        bool          `json:"admin_state_up"`
	Status              string        `json:"status"`
	// AutoDelete marks the ports the container service created for a
	// container (deleted with it); the others are only unbound.
	AutoDelete bool `json:"zun_auto_delete,omitempty"`
}

// Device owners the control plane sets itself; tenants may not.
const (
	DeviceOwnerCompute         = "compute:zun"
	DeviceOwnerRouterInterface = "network:router_interface"
	DeviceOwnerRouterGateway   = "network:router_gateway"
	DeviceOwnerFloatingIP      = "network:floatingip"
)

// SecurityGroup is a Neutron security group; its rules are records of
// their own.
type SecurityGroup struct {
	NetMeta
	Stateful bool `json:"stateful"`
}

// SecurityGroupRule is a Neutron security group rule. Port bounds of 0
// mean none.
type SecurityGroupRule struct {
	NetMeta
	SecurityGroupID string `json:"security_group_id"`
	Direction       string `json:"direction"`
	Ethertype       string `json:"ethertype"`
	Protocol        string `json:"protocol,omitempty"`
	PortRangeMin    int    `json:"port_range_min,omitempty"`
	PortRangeMax    int    `json:"port_range_max,omitempty"`
	RemoteIPPrefix  string `json:"remote_ip_prefix,omitempty"`
	RemoteGroupID   string `json:"remote_group_id,omitempty"`
}

// RouterGatewayInfo is a router's external gateway.
type RouterGatewayInfo struct {
	NetworkID  string `json:"network_id"`
	EnableSNAT bool   `json:"enable_snat"`
	PortID     string `json:"port_id"`
}

// Router is a Neutron router; its interfaces are ports with device_owner
// network:router_interface and device_id the router's ID.
type Router struct {
	NetMeta
	AdminStateUp bool               `json:"admin_state_up"`
	Status       string             `json:"status"`
	Gateway      *RouterGatewayInfo `json:"external_gateway_info,omitempty"`
	// Host is where the router's namespace lives (chosen by the control
	// plane).
	Host string `json:"host"`
}

// FloatingIP is a Neutron floating IP; its address is held by a port of
// the external network (device_owner network:floatingip).
type FloatingIP struct {
	NetMeta
	FloatingNetworkID string `json:"floating_network_id"`
	FloatingIPAddress string `json:"floating_ip_address"`
	FloatingPortID    string `json:"floating_port_id"`
	PortID            string `json:"port_id,omitempty"`
	FixedIPAddress    string `json:"fixed_ip_address,omitempty"`
	RouterID          string `json:"router_id,omitempty"`
	Status            string `json:"status"`
}
