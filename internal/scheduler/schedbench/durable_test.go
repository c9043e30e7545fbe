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
