// Package netplane makes the kernel of one host match the
// model.HostNetworkState the control plane computed for it: Linux bridges
// per tenant network, VXLAN devices with static forwarding and neighbour
// entries, one veth pair per container port, nftables security groups and
// anti-spoofing, router namespaces with SNAT and floating IPs, and the flat
// external bridge.
//
// Everything it creates carries a reserved name prefix (zbr-, zvx-, ztap,
// zpeer, zhr-, zhg-, the router namespace prefix) or lives in its own
// nftables tables (bridge zun, inet zun, inet zunhost-<external bridge> in
// the host namespace, and ip zun inside router namespaces); Apply removes what the state no longer names among those and
// never looks at anything else.
//
// # Filtering: br_netfilter, not bridge conntrack
//
// Security groups are stateful. nftables' bridge family can only match
// conntrack state with nf_conntrack_bridge, which the target kernels do
// not have (CONFIG_NF_CONNTRACK_BRIDGE is not set on the 6.x kernels we run;
// a bridge-family "ct state" rule fails to load). Instead the tenant bridges
// are created with nf_call_iptables/nf_call_ip6tables on (per bridge, so
// docker0 and other bridges are not affected by our choice), which sends
// bridged IP packets through the inet hooks where conntrack works. Those
// hooks see the bridge, not the port, as the interface, so the bridge
// family tags each frame first:
//
//   - bridge prerouting (priority -300) runs the per-port anti-spoofing
//     chain of the sending port (MAC, IP/ARP sources, VLAN, DHCP server,
//     router advertisements; all stateless) and writes the port's index into
//     the low 16 bits of the packet mark;
//   - bridge forward (priority -200, before br_netfilter's hook at 0)
//     writes the receiving port's index into the high 16 bits;
//   - inet forward then accepts established/related traffic and otherwise
//     runs the egress chain of the sender (returns or drops) and the ingress
//     chain of the receiver (accepts or drops).
//
// Each nftables table is replaced as a whole in one transaction (nft -f),
// so a reader never sees half a ruleset; a sync that would produce the
// ruleset the kernel already holds does nothing. The nft tool is used
// rather than a netlink library because the whole table is one readable,
// diffable text that is applied atomically.
//
// # Namespaces
//
// Config.NetNS is the namespace the plane manages; Config.HostNetNS the one
// of the Docker engine and the underlay. On a Docker host they must differ
// (DataPlaneNamespace): Docker turns bridge netfilter on for every bridge
// and sets the iptables FORWARD policy to DROP, which would drop all bridged
// tenant traffic of a bridge in the host namespace — and the plane never
// touches Docker's rules. In the data plane namespace no one else has rules.
// Port peers are then created in the host namespace (Docker moves them into
// containers from there), VXLAN devices are created in the host namespace
// and moved (their UDP sockets stay on the underlay, as with Docker's
// overlay driver), and the host reaches the external bridge through a veth
// named like the bridge that carries ExternalHostCIDR.
//
// # Isolation
//
// Tenant bridges and the host ends of veths carry no address and no IPv6;
// frames from tenant ports, VXLAN devices and router interfaces are dropped
// at the bridge input hook, so a container never reaches the host's own
// stack. The external bridge carries the host's external address; there
// the host accepts only replies to its own connections (hardening E.23).
// Networks never share a bridge; traffic between them only passes through
// router namespaces.
package netplane
