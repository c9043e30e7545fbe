// Package sqlstore implements store.Store on SQL databases: SQLite (pure Go,
// modernc.org/sqlite, the zero-config default) and PostgreSQL (pgx through
// database/sql). One generic implementation serves both; a dialect supplies
// the few differences (placeholders, row locks, JSON update, error codes).
//
// Concurrency strategy:
//
//   - SQLite uses two pools on one WAL database: a writer pool of exactly
//     one connection whose transactions begin IMMEDIATE, and a pool of
//     query-only readers. Writers are serialized in-process by the pool and
//     across processes by SQLite's lock plus busy_timeout, so concurrent
//     writers never see SQLITE_BUSY from a lock upgrade.
//   - PostgreSQL uses one pool; read-modify-write transactions lock the rows
//     they depend on with SELECT ... FOR UPDATE (the container for Update,
//     the compute node for Claim and Resize), so several API processes on
//     one database never over-commit a host. Serialization failures and
//     deadlocks are retried a few times.
//
// The schema lives in internal/store/migrations and is applied by Open.
// Times are stored as microseconds since the epoch in UTC.
package sqlstore
