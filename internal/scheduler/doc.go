// Package scheduler is zun-api's integrated filter scheduler.
//
// A decision is a pure function, Select, over a read-only Snapshot of the
// compute hosts: the configured filters (package filters) drop hosts that
// cannot take the request and a weigher (package weighers) ranks the rest.
// Like kube-scheduler, Select starts at a random host and stops once it has
// found enough feasible hosts, so its cost does not grow with the cluster.
//
// The Scheduler around it caches the snapshot (refreshed from a Source when
// older than Config.SnapshotTTL, one refresh shared by concurrent callers;
// a snapshot a little past its TTL is served while the refresh runs in the
// background, so no caller waits on routine reloads; the node and service
// lists are re-read only every Config.InventoryTTL, usage at every refresh)
// and then claims the best candidate through a Claimer: the store records
// the allocation in one transaction that re-checks capacity (optimistic
// concurrency, correct with several zun-api replicas). When the Claimer is
// a BatchClaimer, the claims of concurrent Schedule calls are committed
// together (group commit: a batch is whatever queued while the previous
// one committed, so a lone caller never waits) and each caller gets its
// own item's result. A refused claim
// (errdefs.ErrConflict) moves on to the next candidate and finally refreshes
// the snapshot once. Successful claims are added to the cached snapshot so
// back-to-back decisions do not over-pick a host. Callers should call
// Invalidate after releasing an allocation or changing a service (disable,
// force down) so the next decision sees it at once.
//
// This package must not import a concrete store (internal/store/sqlstore),
// a transport (net/http, the bus) or the Docker driver: it sees the world
// through Source and Claimer only. The vocabulary types live in schedcore
// and are re-exported here.
package scheduler
