// Package dockerplugin serves Docker's remote network driver and IPAM
// driver protocols (JSON over HTTP on a unix socket under
// /run/docker/plugins) for a compute agent. It binds the engine's endpoints
// to the ports the control plane created and bound to this host, as the
// host's current model.HostNetworkState names them; it never allocates an
// address or a MAC of its own.
//
// It must not import the store, the bus or the Docker client: the agent
// hands it the state (StateSource), the data plane (DataPlane) and the
// engine's network names (NetworkNamer) through small interfaces.
package dockerplugin
