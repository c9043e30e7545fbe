// Package keystonetest runs a throwaway OpenStack Keystone for tests, from
// Debian's keystone package (keystone-manage and keystone-wsgi-public),
// with SQLite and Fernet tokens in a temporary directory and the
// development WSGI server on a free 127.0.0.1 port.
//
// Shared gives every test of a binary the same Keystone (starting one
// takes about ten seconds); call StopShared from TestMain after m.Run.
// Start gives a test a Keystone of its own. A missing keystone package is a
// test failure, not a skip: scripts/setup.sh installs it.
//
// The admin helpers (Token, CreateProject, CreateUser, Openstack) talk to
// the real Keystone API or run the real openstack CLI; nothing is faked.
// This package must not import the service packages it helps test.
package keystonetest
