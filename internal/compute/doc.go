// Package compute is the zun-compute agent: it registers its host, sends
// heartbeats, serves the compute RPC methods over the bus by driving a
// container.Driver, follows the engine's events, and reconciles the
// engine with the records the conductor holds, at start-up and
// periodically. It never touches the database: every state change goes to
// the conductor (internal/rpc.ConductorClient).
package compute
