package schedbench_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/scheduler"
	"github.com/openzun/zun/internal/zunctx"
)

// TestDurableTwentyOnTen: 20 concurrent placements from two scheduler
// replicas onto one SQLite host with room for 10 place exactly 10; the
// others get "There are not enough hosts available.".
func TestDurableTwentyOnTen(t *testing.T) {
	st := openStore(t, 1, 10, 10240)
	uuids := createContainers(t, st, 20)
	var scheds []*scheduler.Scheduler
	for range 2 {
		s, err := scheduler.New(scheduler.Config{}, scheduler.StoreSource(st), st.Hosts(), nil, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		scheds = append(scheds, s)
	}
	ctx := zunctx.System(context.Background())
	var placed, refused atomic.Int32
	var wg sync.WaitGroup
	for i, u := range uuids {
		wg.Go(func() {
			_, err := scheds[i%2].Schedule(ctx, &scheduler.Request{ContainerUUID: u, CPU: 1, Memory: 1024})
			switch {
			case err == nil:
				placed.Add(1)
			case errors.Is(err, errdefs.ErrConflict) && err.Error() == "There are not enough hosts available.":
				refused.Add(1)
			default:
				t.Errorf("container %s: %v", u, err)
			}
		})
	}
	wg.Wait()
	if placed.Load() != 10 || refused.Load() != 10 {
		t.Fatalf("placed %d, refused %d; want 10 and 10", placed.Load(), refused.Load())
	}
	usage, err := st.Hosts().Usage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if u := usage["host-00000"]; u.CPU != 10 || u.Memory != 10240 || u.Containers != 10 {
		t.Fatalf("stored usage = %+v", u)
	}
	onHost := 0
	for _, u := range uuids {
		c, err := st.Containers().Get(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if c.Host == "host-00000" {
			onHost++
		}
	}
	if onHost != 10 {
		t.Fatalf("%d containers record the host, want 10", onHost)
	}
}

// TestDurableGroupCommitManyOnFew: 60 concurrent placements from three
// scheduler replicas (claims coalesced into batches) onto 8 SQLite hosts
// with room for 5 each never over-commit a host, and every placement
// reported is the one stored.
func TestDurableGroupCommitManyOnFew(t *testing.T) {
	st := openStore(t, 8, 5, 5120)
	uuids := createContainers(t, st, 60)
	var scheds []*scheduler.Scheduler
	for range 3 {
		s, err := scheduler.New(scheduler.Config{}, scheduler.StoreSource(st), st.Hosts(), nil, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		scheds = append(scheds, s)
	}
	ctx := zunctx.System(context.Background())
	var mu sync.Mutex
	placedOn := map[string]string{}
	var wg sync.WaitGroup
	for i, u := range uuids {
		wg.Go(func() {
			host, err := scheds[i%3].Schedule(ctx, &scheduler.Request{ContainerUUID: u, CPU: 1, Memory: 1024})
			switch {
			case err == nil:
				mu.Lock()
				placedOn[u] = host
				mu.Unlock()
			case !errors.Is(err, scheduler.ErrNoValidHost):
				t.Errorf("container %s: %v", u, err)
			}
		})
	}
	wg.Wait()
	// Each failure refreshed its snapshot before giving up, so at most a
	// few slots may stay free; none may be over-filled.
	if n := len(placedOn); n < 36 || n > 40 {
		t.Fatalf("placed %d containers in 40 slots", n)
	}
	usage, err := st.Hosts().Usage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for host, u := range usage {
		if u.CPU > 5 || u.Memory > 5120 || u.Containers > 5 {
			t.Fatalf("host %s over-committed: %+v", host, u)
		}
		total += u.Containers
	}
	if total != len(placedOn) {
		t.Fatalf("%d allocations stored for %d placements", total, len(placedOn))
	}
	for _, u := range uuids {
		c, err := st.Containers().Get(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if c.Host != placedOn[u] {
			t.Fatalf("container %s placed on %q but records %q", u, placedOn[u], c.Host)
		}
	}
}
