// Package api holds the wire types of the Zun API v1 shared verbatim by the
// server (internal/apiserver) and the Go client (client/). It imports only the
// standard library; test/lint checks that.
package api
