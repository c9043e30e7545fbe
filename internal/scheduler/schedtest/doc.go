// Package schedtest is the scheduler's test harness: an in-memory Source and
// Claimer (Harness) that re-checks capacity atomically on every claim, as
// the real store does in its transaction, plus fixtures for nodes and
// services. It imports only internal/model and internal/errdefs, so tests of
// any package can use it without a database.
package schedtest
