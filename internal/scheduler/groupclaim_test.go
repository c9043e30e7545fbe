package scheduler_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/scheduler"
	"github.com/openzun/zun/internal/scheduler/schedtest"
)

// claimOnly hides the harness's ClaimBatch: a Claimer without batching.
type claimOnly struct{ h *schedtest.Harness }

func (c claimOnly) Claim(ctx context.Context, a model.Allocation) error { return c.h.Claim(ctx, a) }

// TestGroupCommitCoalesces: concurrent callers share claim batches, and
// every one of them is placed within capacity.
func TestGroupCommitCoalesces(t *testing.T) {
	h := schedtest.Cluster(8, 64, 65536, 1000, "", t0)
	h.ClaimDelay = 2 * time.Millisecond
	s := newScheduler(t, scheduler.Config{}, h, h, func() time.Time { return t0 })
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			if _, err := s.Schedule(context.Background(), req(i, 1, 1024)); err != nil {
				t.Errorf("request %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if err := h.CheckCapacity(); err != nil {
		t.Fatal(err)
	}
	_, claims, _ := h.Stats()
	if n := len(h.Allocations()); n != 40 {
		t.Fatalf("%d allocations, want 40", n)
	}
	if b := h.Batches(); b >= claims || b == 0 {
		t.Fatalf("%d claims in %d batches: nothing was coalesced", claims, b)
	}
}

// TestGroupCommitLoneCaller: a caller alone claims at once, one batch of
// one per placement.
func TestGroupCommitLoneCaller(t *testing.T) {
	h := schedtest.Cluster(2, 4, 4096, 100, "", t0)
	s := newScheduler(t, scheduler.Config{}, h, h, func() time.Time { return t0 })
	for i := range 5 {
		if _, err := s.Schedule(context.Background(), req(i, 1, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if _, claims, _ := h.Stats(); claims != 5 || h.Batches() != 5 {
		t.Fatalf("%d claims in %d batches, want 5 in 5", claims, h.Batches())
	}
}

// TestGroupCommitOff: ClaimBatch 1, or a claimer without ClaimBatch,
// claims one by one.
func TestGroupCommitOff(t *testing.T) {
	for name, cfg := range map[string]struct {
		batch int
		plain bool
	}{"ClaimBatch 1": {batch: 1}, "plain claimer": {plain: true}} {
		t.Run(name, func(t *testing.T) {
			h := schedtest.Cluster(4, 64, 65536, 1000, "", t0)
			var cl scheduler.Claimer = h
			if cfg.plain {
				cl = claimOnly{h}
			}
			s := newScheduler(t, scheduler.Config{ClaimBatch: cfg.batch}, h, cl, func() time.Time { return t0 })
			var wg sync.WaitGroup
			for i := range 10 {
				wg.Go(func() {
					if _, err := s.Schedule(context.Background(), req(i, 1, 1)); err != nil {
						t.Errorf("request %d: %v", i, err)
					}
				})
			}
			wg.Wait()
			if _, claims, _ := h.Stats(); claims != 10 || h.Batches() != 0 {
				t.Fatalf("%d claims in %d batches, want 10 in 0", claims, h.Batches())
			}
		})
	}
	if err := (scheduler.Config{ClaimBatch: -1}).Validate(); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("ClaimBatch -1: %v", err)
	}
}

// gatedBatches blocks each ClaimBatch until a token arrives on gate and
// reports each batch's size on sizes.
type gatedBatches struct {
	*schedtest.Harness
	gate  chan struct{}
	sizes chan int
}

func (g *gatedBatches) ClaimBatch(ctx context.Context, allocs []model.Allocation) []error {
	g.sizes <- len(allocs)
	<-g.gate
	return g.Harness.ClaimBatch(ctx, allocs)
}

// TestGroupCommitCancelWhileQueued: a caller whose context ends while its
// claim waits for a batch leaves without claiming; the batch in flight is
// not disturbed, and the next batch holds what queued meanwhile.
func TestGroupCommitCancelWhileQueued(t *testing.T) {
	h := schedtest.Cluster(4, 64, 65536, 1000, "", t0)
	g := &gatedBatches{Harness: h, gate: make(chan struct{}), sizes: make(chan int, 10)}
	s := newScheduler(t, scheduler.Config{}, h, g, func() time.Time { return t0 })
	results := make(chan error, 4)
	schedule := func(ctx context.Context, i int) {
		_, err := s.Schedule(ctx, req(i, 1, 1))
		results <- err
	}
	go schedule(context.Background(), 1)
	if n := <-g.sizes; n != 1 {
		t.Fatalf("first batch has %d claims, want 1", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go schedule(ctx, 2)
	time.Sleep(50 * time.Millisecond) // let request 2 queue behind the batch
	cancel()
	if err := <-results; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: %v", err)
	}
	go schedule(context.Background(), 3)
	go schedule(context.Background(), 4)
	time.Sleep(50 * time.Millisecond) // let requests 3 and 4 queue
	g.gate <- struct{}{}
	if n := <-g.sizes; n != 2 {
		t.Fatalf("second batch has %d claims, want 2", n)
	}
	g.gate <- struct{}{}
	for range 3 {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, a := range h.Allocations() {
		got = append(got, a.ContainerUUID)
	}
	if want := []string{"c-000001", "c-000003", "c-000004"}; !slices.Equal(got, want) {
		t.Fatalf("allocations %v, want %v", got, want)
	}
	// The leadership was released: a lone caller claims at once.
	go schedule(context.Background(), 5)
	if n := <-g.sizes; n != 1 {
		t.Fatalf("last batch has %d claims, want 1", n)
	}
	g.gate <- struct{}{}
	if err := <-results; err != nil {
		t.Fatal(err)
	}
}
