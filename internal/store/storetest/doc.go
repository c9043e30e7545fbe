// Package storetest is the conformance suite of store.Store: every backend
// runs Run against a fresh store per subtest. It checks the documented
// contract (scoping, errors categories, atomicity, paging, capacity
// claims under concurrency), not a backend's internals.
package storetest
