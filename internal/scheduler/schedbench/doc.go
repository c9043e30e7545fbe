// Package schedbench measures and checks the scheduler together with the
// durable claim in a real SQL store (internal/store/sqlstore on SQLite).
// It holds only tests and benchmarks; it is separate from package scheduler
// so that the scheduler never imports a concrete store.
package schedbench
