// Package zunstate holds the engine-neutral rules both container drivers
// (docker and fake) follow: how an engine state maps to a Zun status and
// status_detail (zun/container/docker/driver.py::_populate_container_state)
// and which kill signal spellings are accepted. It imports no Docker SDK, so
// the fake driver can share it without pulling the engine client in.
package zunstate
