// Package cli implements the zun command line client with cobra, one file
// per command group, mirroring python-zunclient's commands, flags and
// output (prettytable-style tables, or --format json|yaml).
//
// It talks to the API only through github.com/openzun/zun/client and the
// wire types of github.com/openzun/zun/api; it must not import other
// internal packages (store, Docker, NATS, services).
package cli
