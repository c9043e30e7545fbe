// Package neutronapi serves the Neutron v2.0 API subset of the network
// service (internal/network) under /network: networks, subnets, ports,
// security groups and rules, routers and floating IPs, with Neutron's
// strict attribute checking, filters, fields= and NeutronError bodies. It
// holds HTTP and policy only; the rules are the network service's.
package neutronapi
