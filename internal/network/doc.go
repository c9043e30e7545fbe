// Package network is the control plane of tenant networking: the rules of
// Neutron's resources (networks, subnets, ports, security groups, routers,
// floating IPs), IP address management, the per-project default security
// group, router placement, the HostNetworkState of a host, and the
// notification of the agents whose state a change touches. It holds no
// HTTP (internal/neutronapi) and no data plane (internal/netplane); it
// reaches the database only through store.Networks and store.Hosts.
package network
