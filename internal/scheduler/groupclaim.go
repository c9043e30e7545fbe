package scheduler

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/openzun/zun/internal/model"
)

// groupClaimer coalesces the claims of concurrent Schedule calls into
// ClaimBatch calls (group commit), leader-follower style and without a
// goroutine of its own. A caller finding no batch in flight commits at
// once a batch of whatever is queued, its own claim first: a lone caller
// never waits. Claims arriving meanwhile queue up; when the batch is done
// its leader hands the leadership to the oldest queued caller, whose
// batch is then everything queued (up to max). So a batch is what piled
// up while the previous one committed, with no sleep to gather more.
type groupClaimer struct {
	bc  BatchClaimer
	max int

	mu      sync.Mutex
	queue   []*claimOp // waiting for a batch; queue[0] leads next
	leading bool       // a batch is being committed or handed over
	next    *claimOp   // the queued op handed the leadership, if any
}

// claimOp is one caller's claim.
type claimOp struct {
	a   model.Allocation
	err error
	// signal receives true once err is final, or false when the caller
	// must lead the next batch.
	signal chan bool
}

// claim claims a in a batch and returns its own result. A caller whose
// context ends while its claim is still queued leaves; once its claim is
// in a batch being committed it waits for the outcome, so that a claim
// it is told failed was never recorded.
func (g *groupClaimer) claim(ctx context.Context, a model.Allocation) error {
	op := &claimOp{a: a, signal: make(chan bool, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, op)
	if !g.leading {
		g.leading = true
		g.mu.Unlock()
		return g.lead(ctx, op)
	}
	g.mu.Unlock()
	select {
	case done := <-op.signal:
		if done {
			return op.err
		}
		return g.lead(ctx, op)
	case <-ctx.Done():
	}
	g.mu.Lock()
	if i := slices.Index(g.queue, op); i >= 0 {
		g.queue = slices.Delete(g.queue, i, i+1)
		if g.next == op {
			g.handOver()
		}
		g.mu.Unlock()
		return fmt.Errorf("claim of host %q for container %q abandoned: %w", a.Host, a.ContainerUUID, ctx.Err())
	}
	g.mu.Unlock()
	<-op.signal // in a batch: its result comes
	return op.err
}

// lead commits one batch holding op, then hands the leadership over. The
// batch runs detached from the leader's cancellation: it decides the
// claims of other callers too.
func (g *groupClaimer) lead(ctx context.Context, op *claimOp) error {
	g.mu.Lock()
	g.next = nil
	n := min(len(g.queue), g.max)
	batch := slices.Clone(g.queue[:n])
	g.queue = slices.Delete(g.queue, 0, n)
	g.mu.Unlock()

	allocs := make([]model.Allocation, len(batch))
	for i, o := range batch {
		allocs[i] = o.a
	}
	errs := g.bc.ClaimBatch(context.WithoutCancel(ctx), allocs)
	for i, o := range batch {
		if i < len(errs) {
			o.err = errs[i]
		} else {
			o.err = fmt.Errorf("claim batch gave %d results for %d claims", len(errs), len(allocs))
		}
		if o != op {
			o.signal <- true
		}
	}

	g.mu.Lock()
	g.handOver()
	g.mu.Unlock()
	return op.err
}

// handOver passes the leadership to the oldest queued caller, or ends it
// when none waits. g.mu is held.
func (g *groupClaimer) handOver() {
	if len(g.queue) == 0 {
		g.leading, g.next = false, nil
		return
	}
	g.next = g.queue[0]
	g.next.signal <- false
}
