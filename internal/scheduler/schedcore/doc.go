// Package schedcore holds the scheduler's vocabulary: the placement Request,
// the read-only HostState of one compute host, the Snapshot of all hosts a
// decision is taken on, and the one-method Filter and Weigher contracts.
//
// It is a leaf package so that the filters and weighers sub-packages and the
// scheduler itself can share these types without an import cycle; package
// scheduler re-exports them as aliases. It imports only internal/model and
// the standard library, never a store, a transport or the clock.
package schedcore
