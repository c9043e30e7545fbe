package dockerplugin

// Wire types of Docker's plugin protocols (libnetwork's remote driver API
// and the remote IPAM API, docs/extend/plugins_network.md and
// plugins_ipam.md). Field names are Docker's, so they stay exported with
// Docker's casing.

// contentType is what Docker sends and expects from a v1.2 plugin.
const contentType = "application/vnd.docker.plugins.v1.2+json"

// Option keys Docker uses.
const (
	// genericOption holds the --opt map of a network (and endpoint).
	genericOption = "com.docker.network.generic"
	// requestAddressType marks the gateway request in RequestAddress.
	requestAddressType = "RequestAddressType"
	gatewayRequest     = "com.docker.network.gateway"
	// OptNetworkID is the --opt and --ipam-opt naming the Zun network of
	// a Docker network.
	OptNetworkID = "zun.network_id"
	// OptNoGateway ("true"), an endpoint driver option, keeps the subnet's
	// gateway out of the endpoint's join: see Plugin.join.
	OptNoGateway = "zun.no_gateway"
)

type activateResponse struct {
	Implements []string
}

type errorResponse struct {
	Err string
}

type capabilitiesResponse struct {
	Scope             string
	ConnectivityScope string
}

type ipamData struct {
	AddressSpace string
	Pool         string
	Gateway      string
	AuxAddresses map[string]any
}

type createNetworkRequest struct {
	NetworkID string
	Options   map[string]any
	IPv4Data  []ipamData
	IPv6Data  []ipamData
}

type networkRequest struct {
	NetworkID string
}

type allocateNetworkResponse struct {
	Options map[string]string
}

type endpointInterface struct {
	Address     string `json:",omitempty"`
	AddressIPv6 string `json:",omitempty"`
	MacAddress  string `json:",omitempty"`
}

type createEndpointRequest struct {
	NetworkID  string
	EndpointID string
	Interface  *endpointInterface
	Options    map[string]any
}

type createEndpointResponse struct {
	Interface *endpointInterface `json:",omitempty"`
}

type endpointRequest struct {
	NetworkID  string
	EndpointID string
}

type operInfoResponse struct {
	Value map[string]any
}

type joinRequest struct {
	NetworkID  string
	EndpointID string
	SandboxKey string
	Options    map[string]any
}

type interfaceName struct {
	SrcName   string
	DstPrefix string
}

type staticRoute struct {
	Destination string
	RouteType   int // 0: via NextHop, 1: connected
	NextHop     string
}

type joinResponse struct {
	InterfaceName         interfaceName
	Gateway               string `json:",omitempty"`
	GatewayIPv6           string `json:",omitempty"`
	StaticRoutes          []staticRoute
	DisableGatewayService bool
}

type ipamCapabilitiesResponse struct {
	RequiresMACAddress    bool
	RequiresRequestReplay bool
}

type addressSpacesResponse struct {
	LocalDefaultAddressSpace  string
	GlobalDefaultAddressSpace string
}

type requestPoolRequest struct {
	AddressSpace string
	Pool         string
	SubPool      string
	Options      map[string]string
	V6           bool
}

type requestPoolResponse struct {
	PoolID string
	Pool   string
	Data   map[string]string
}

type releasePoolRequest struct {
	PoolID string
}

type requestAddressRequest struct {
	PoolID  string
	Address string
	Options map[string]string
}

type requestAddressResponse struct {
	Address string
	Data    map[string]string
}

type releaseAddressRequest struct {
	PoolID  string
	Address string
}

type empty struct{}
