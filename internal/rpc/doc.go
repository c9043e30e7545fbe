// Package rpc is the typed contract between zun-api and zun-compute over
// internal/bus: ComputeClient is what the API calls on an agent, and
// ConductorClient is what an agent calls on the API (agents hold no
// database credentials, so every state change goes through the conductor).
// Both sides share the message types below, so the wire cannot drift.
package rpc
