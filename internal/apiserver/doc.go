// Package apiserver is the Zun API v1 over net/http: a declarative route
// table (routes.go) whose every entry names a policy rule, one wrapper that
// authenticates, negotiates the microversion, checks the body and maps
// errors to Zun's envelope, and handlers that return a value or an error.
// It talks to the store, the scheduler and compute agents (over the bus)
// only through small interfaces.
package apiserver
