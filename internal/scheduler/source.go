package scheduler

import (
	"context"

	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/zunctx"
)

// Source supplies the state a snapshot is built from.
type Source interface {
	// Hosts lists every compute node.
	Hosts(ctx context.Context) ([]*model.ComputeNode, error)
	// Usage returns what allocations claim on each host, by hostname.
	Usage(ctx context.Context) (map[string]model.Usage, error)
	// Services lists every service record (only zun-compute ones count).
	Services(ctx context.Context) ([]*model.Service, error)
}

// Claimer durably records an allocation after re-checking the host's
// capacity. A host without room gives errdefs.ErrConflict and writes
// nothing. store.Hosts implements it.
type Claimer interface {
	Claim(ctx context.Context, a model.Allocation) error
}

// BatchClaimer is a Claimer that can also claim several allocations in
// one transaction, each re-checked and decided alone in order, the
// batch's earlier claims counted (group commit). The result has one entry
// per allocation, nil when claimed; a database failure fails every item.
// The Scheduler uses it, when the Claimer has it, to coalesce the claims
// of concurrent Schedule calls. store.Hosts implements it.
type BatchClaimer interface {
	Claimer
	ClaimBatch(ctx context.Context, allocs []model.Allocation) []error
}

var (
	_ Claimer      = store.Hosts(nil)
	_ BatchClaimer = store.Hosts(nil)
)

// StoreSource adapts a store to Source. It reads with a system context, as
// the scheduler works for the service, not for a project.
func StoreSource(st store.Store) Source { return storeSource{st} }

type storeSource struct{ st store.Store }

func (s storeSource) Hosts(ctx context.Context) ([]*model.ComputeNode, error) {
	return s.st.Hosts().List(zunctx.System(ctx), store.ListOptions{})
}

func (s storeSource) Usage(ctx context.Context) (map[string]model.Usage, error) {
	return s.st.Hosts().Usage(zunctx.System(ctx))
}

func (s storeSource) Services(ctx context.Context) ([]*model.Service, error) {
	return s.st.Services().List(zunctx.System(ctx))
}
