// Package hosttest gives tests a second "machine" on this one: a network
// namespace joined to the root namespace by a veth link, with its own
// Docker engine (own data root, exec root, socket, pid file and containerd
// namespaces) started inside it, and the local busybox image loaded. Its
// agents run inside the namespace too (Command), so the data plane they
// build and the engine that moves the veths into containers see the same
// kernel network stack.
//
// Test helper only: it imports nothing of the project but the standard
// library.
package hosttest
