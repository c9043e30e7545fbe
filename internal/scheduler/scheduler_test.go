package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/scheduler"
	"github.com/openzun/zun/internal/scheduler/schedtest"
)

// testLogger writes to the test's log.
func testLogger(t testing.TB) *slog.Logger {
	t.Helper()
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// clock is a settable fake clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newScheduler(t testing.TB, cfg scheduler.Config, src scheduler.Source, cl scheduler.Claimer, now func() time.Time) *scheduler.Scheduler {
	t.Helper()
	s, err := scheduler.New(cfg, src, cl, testLogger(t), now)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func req(i int, cpu float64, mem int64) *scheduler.Request {
	return &scheduler.Request{ContainerUUID: fmt.Sprintf("c-%06d", i), CPU: cpu, Memory: mem}
}

func TestNewRejectsUnknownNames(t *testing.T) {
	h := schedtest.New()
	tests := []struct {
		name string
		cfg  scheduler.Config
	}{
		{"filter", scheduler.Config{Filters: []string{"ComputeFilter", "JsonFilter"}}},
		{"weigher", scheduler.Config{Weigher: "random"}},
		{"candidates", scheduler.Config{Select: scheduler.SelectOptions{Candidates: 1000}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scheduler.New(tc.cfg, h, h, nil, nil)
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("err = %v, want ErrInvalidArgument", err)
			}
			if err := tc.cfg.Validate(); !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("Validate = %v, want ErrInvalidArgument", err)
			}
		})
	}
	if _, err := scheduler.New(scheduler.Config{}, nil, h, nil, nil); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("nil source: err = %v", err)
	}
}

func TestScheduleBasics(t *testing.T) {
	ck := &clock{now: t0}
	h := schedtest.Cluster(3, 4, 4096, 100, "az1", t0)
	s := newScheduler(t, scheduler.Config{}, h, h, ck.Now)
	ctx := context.Background()

	host, err := s.Schedule(ctx, req(1, 1, 1024))
	if err != nil || host == "" {
		t.Fatalf("Schedule = %q, %v", host, err)
	}
	if a := h.Allocations(); len(a) != 1 || a[0].Host != host || a[0].Memory != 1024 {
		t.Fatalf("allocations = %+v", a)
	}
	// Spread: the next container goes to another (emptier) host.
	host2, err := s.Schedule(ctx, req(2, 1, 1024))
	if err != nil || host2 == host {
		t.Fatalf("second Schedule = %q, %v; first was %q", host2, err, host)
	}

	_, err = s.Schedule(ctx, req(3, 1, 8192))
	if !errors.Is(err, scheduler.ErrNoValidHost) || !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("too big: err = %v", err)
	}
	if err.Error() != "There are not enough hosts available." {
		t.Fatalf("message = %q", err.Error())
	}

	for _, bad := range []*scheduler.Request{nil, {}, {ContainerUUID: "x", Memory: -1}} {
		if _, err := s.Schedule(ctx, bad); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Fatalf("Schedule(%+v) err = %v", bad, err)
		}
	}
}

func TestScheduleClaimErrorIsReturned(t *testing.T) {
	h := schedtest.Cluster(2, 4, 4096, 100, "", t0)
	s := newScheduler(t, scheduler.Config{}, h, h, func() time.Time { return t0 })
	ctx := context.Background()
	if _, err := s.Schedule(ctx, req(1, 1, 1)); err != nil {
		t.Fatal(err)
	}
	// Claiming the same container again: the store says AlreadyExists,
	// which is not a capacity conflict and must not be retried.
	_, err := s.Schedule(ctx, req(1, 1, 1))
	if !errors.Is(err, errdefs.ErrAlreadyExists) || errors.Is(err, scheduler.ErrNoValidHost) {
		t.Fatalf("err = %v, want ErrAlreadyExists", err)
	}
}

func TestSnapshotTTLAndInvalidate(t *testing.T) {
	ck := &clock{now: t0}
	h := schedtest.Cluster(2, 64, 65536, 100, "", t0)
	s := newScheduler(t, scheduler.Config{SnapshotTTL: time.Second, InventoryTTL: time.Second}, h, h, ck.Now)
	ctx := context.Background()
	loads := func() int { l, _, _ := h.Stats(); return l }

	for i := range 10 {
		if _, err := s.Schedule(ctx, req(i, 1, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if loads() != 1 {
		t.Fatalf("loads = %d within the TTL, want 1", loads())
	}
	// Past the TTL the old snapshot is still served while a background
	// refresh replaces it.
	ck.Add(1500 * time.Millisecond)
	if _, err := s.Schedule(ctx, req(100, 1, 1)); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); loads() != 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("loads = %d after the TTL, want 2", loads())
		}
	}
	// A very old snapshot is not served: the caller waits for the load.
	ck.Add(10 * time.Second)
	if _, err := s.Schedule(ctx, req(102, 1, 1)); err != nil {
		t.Fatal(err)
	}
	if loads() != 3 {
		t.Fatalf("loads = %d after 10s, want 3", loads())
	}
	s.Invalidate()
	if _, err := s.Schedule(ctx, req(101, 1, 1)); err != nil {
		t.Fatal(err)
	}
	if loads() != 4 {
		t.Fatalf("loads = %d after Invalidate, want 4", loads())
	}
}

func TestIncrementalUsagePreventsOverpick(t *testing.T) {
	// The claimer trusts the scheduler: only its own cached accounting
	// keeps it from over-committing within one snapshot.
	h := schedtest.Cluster(2, 4, 4096, 100, "", t0)
	h.Unchecked = true
	s := newScheduler(t, scheduler.Config{SnapshotTTL: time.Hour}, h, h, func() time.Time { return t0 })
	ctx := context.Background()
	for i := range 8 {
		if _, err := s.Schedule(ctx, req(i, 1, 1024)); err != nil {
			t.Fatalf("container %d: %v", i, err)
		}
	}
	if _, err := s.Schedule(ctx, req(9, 1, 1024)); !errors.Is(err, scheduler.ErrNoValidHost) {
		t.Fatalf("ninth container: err = %v", err)
	}
	if err := h.CheckCapacity(); err != nil {
		t.Fatal(err)
	}
}

// gatedSource blocks Hosts until gate is closed and counts calls.
type gatedSource struct {
	*schedtest.Harness
	gate  chan struct{}
	calls atomic.Int32
}

func (g *gatedSource) Hosts(ctx context.Context) ([]*model.ComputeNode, error) {
	g.calls.Add(1)
	<-g.gate
	return g.Harness.Hosts(ctx)
}

func TestConcurrentCallersShareOneRefresh(t *testing.T) {
	h := schedtest.Cluster(4, 64, 65536, 100, "", t0)
	src := &gatedSource{Harness: h, gate: make(chan struct{})}
	s := newScheduler(t, scheduler.Config{}, src, h, func() time.Time { return t0 })
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := range 10 {
		wg.Go(func() {
			_, err := s.Schedule(context.Background(), req(i, 1, 1))
			errs <- err
		})
	}
	time.Sleep(50 * time.Millisecond)
	close(src.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := src.calls.Load(); n != 1 {
		t.Fatalf("source loaded %d times, want 1", n)
	}
}

func TestScheduleHonoursCallerCancel(t *testing.T) {
	h := schedtest.Cluster(1, 4, 4096, 100, "", t0)
	src := &gatedSource{Harness: h, gate: make(chan struct{})}
	defer close(src.gate)
	s := newScheduler(t, scheduler.Config{}, src, h, func() time.Time { return t0 })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := s.Schedule(ctx, req(1, 1, 1)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
}

// TestTwentyConcurrentOnTenSlots: one host with room for 10 containers and
// 20 concurrent requests place exactly 10; the rest get ErrNoValidHost.
func TestTwentyConcurrentOnTenSlots(t *testing.T) {
	for _, delay := range []time.Duration{0, 2 * time.Millisecond} {
		t.Run(fmt.Sprintf("claim delay %v", delay), func(t *testing.T) {
			h := schedtest.Cluster(1, 10, 10240, 100, "", t0)
			h.ClaimDelay = delay
			s := newScheduler(t, scheduler.Config{}, h, h, func() time.Time { return t0 })
			var placed, refused atomic.Int32
			var wg sync.WaitGroup
			for i := range 20 {
				wg.Go(func() {
					host, err := s.Schedule(context.Background(), req(i, 1, 1024))
					switch {
					case err == nil && host == "host-00000":
						placed.Add(1)
					case errors.Is(err, scheduler.ErrNoValidHost) && errors.Is(err, errdefs.ErrConflict) &&
						err.Error() == "There are not enough hosts available.":
						refused.Add(1)
					default:
						t.Errorf("request %d: host %q, err %v", i, host, err)
					}
				})
			}
			wg.Wait()
			if placed.Load() != 10 || refused.Load() != 10 {
				t.Fatalf("placed %d, refused %d; want 10 and 10", placed.Load(), refused.Load())
			}
			if err := h.CheckCapacity(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestReplicasShareOneStore: several schedulers (zun-api replicas) with their
// own caches race on one store; the store's re-check keeps every host within
// capacity and conflicts are retried so the cluster still fills up.
func TestReplicasShareOneStore(t *testing.T) {
	h := schedtest.Cluster(5, 4, 4096, 100, "", t0)
	var scheds []*scheduler.Scheduler
	for range 4 {
		scheds = append(scheds, newScheduler(t, scheduler.Config{SnapshotTTL: time.Hour}, h, h, func() time.Time { return t0 }))
	}
	var placed atomic.Int32
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 5 {
				_, err := scheds[w%len(scheds)].Schedule(context.Background(), req(w*100+i, 1, 1024))
				if err == nil {
					placed.Add(1)
				} else if !errors.Is(err, scheduler.ErrNoValidHost) {
					t.Errorf("worker %d: %v", w, err)
				}
			}
		})
	}
	wg.Wait()
	if err := h.CheckCapacity(); err != nil {
		t.Fatal(err)
	}
	// 5 hosts x 4 slots = 20 slots for 40 requests; each failure was
	// preceded by a refresh, so at most a few slots may be left behind
	// by stale caches, never over-filled.
	if p := placed.Load(); p < 16 || p > 20 {
		t.Fatalf("placed %d containers in 20 slots", p)
	}
}

// TestInventoryReusedUsageReread: within InventoryTTL a refresh re-reads
// only usage, so claims made by others are seen while nodes are not
// re-listed; Invalidate re-lists them.
func TestInventoryReusedUsageReread(t *testing.T) {
	ck := &clock{now: t0}
	h := schedtest.Cluster(1, 4, 4096, 100, "", t0)
	s := newScheduler(t, scheduler.Config{SnapshotTTL: time.Second, InventoryTTL: time.Hour}, h, h, ck.Now)
	ctx := context.Background()
	if _, err := s.Schedule(ctx, req(1, 1, 1024)); err != nil {
		t.Fatal(err)
	}
	// Another replica fills the host.
	if err := h.Claim(ctx, model.Allocation{ContainerUUID: "other", Host: "host-00000", CPU: 3, Memory: 3072}); err != nil {
		t.Fatal(err)
	}
	ck.Add(10 * time.Second) // beyond the stale-serving window: wait for the reload
	_, claims0, _ := h.Stats()
	if _, err := s.Schedule(ctx, req(2, 1, 1024)); !errors.Is(err, scheduler.ErrNoValidHost) {
		t.Fatalf("full host: err = %v", err)
	}
	loads, claims, _ := h.Stats()
	if claims != claims0 {
		t.Fatal("the refreshed usage should have ruled the host out without a claim")
	}
	if loads != 1 {
		t.Fatalf("nodes listed %d times within the inventory TTL, want 1", loads)
	}
	s.Invalidate()
	_, _ = s.Schedule(ctx, req(3, 1, 1))
	if loads, _, _ := h.Stats(); loads != 2 {
		t.Fatalf("nodes listed %d times after Invalidate, want 2", loads)
	}
}
