package storetest

import (
	"errors"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
)

// testClaimBatch claims a batch mixing fitting and non-fitting items:
// each is decided alone, in order, counting the batch's earlier claims.
func testClaimBatch(t *testing.T, s store.Store) {
	ctx := system()
	h := s.Hosts()
	noErr(t, h.Upsert(ctx, NewNode("node-1", 3)), "Upsert node-1")
	noErr(t, h.Upsert(ctx, NewNode("node-2", 1)), "Upsert node-2")
	noErr(t, h.Upsert(ctx, NewNode("node-3", 5)), "Upsert node-3")
	cs := claimable(t, s, 10)
	noErr(t, h.Claim(ctx, alloc(cs[7], "node-3")), "Claim before the batch")
	if errs := h.ClaimBatch(ctx, nil); len(errs) != 0 {
		t.Fatalf("ClaimBatch(nil) = %v", errs)
	}

	big := alloc(cs[8], "node-3")
	big.Memory = 100000
	negative := alloc(cs[9], "node-3")
	negative.CPU = -1
	batch := []struct {
		a    model.Allocation
		want error // nil: claimed
	}{
		{alloc(cs[0], "node-1"), nil},
		{alloc(cs[1], "node-1"), nil},
		{alloc(cs[2], "nope"), errdefs.ErrNotFound},
		{alloc(cs[3], "node-2"), nil},
		{alloc(cs[4], "node-2"), errdefs.ErrConflict}, // node-2 is full with cs[3]
		{model.Allocation{ContainerUUID: "missing", Host: "node-1", CPU: 1, Memory: 256, Disk: 1}, errdefs.ErrNotFound},
		{alloc(cs[5], "node-1"), nil},                      // the missing container took no room
		{alloc(cs[6], "node-1"), errdefs.ErrConflict},      // node-1 full with cs[0], cs[1], cs[5]
		{alloc(cs[7], "node-3"), errdefs.ErrAlreadyExists}, // claimed before
		{big, errdefs.ErrConflict},                         // beyond memory
		{negative, errdefs.ErrInvalidArgument},             // refused before the transaction
		{alloc(cs[8], "node-3"), nil},                      // after the duplicate and the refusals
		{alloc(cs[2], "node-2"), errdefs.ErrConflict},      // not claimed earlier: NotFound took nothing
		{alloc(cs[6], "node-3"), nil},                      // refused on node-1, fits on node-3
		{alloc(cs[6], "node-3"), errdefs.ErrAlreadyExists}, // claimed by this very batch
	}
	allocs := make([]model.Allocation, len(batch))
	for i, b := range batch {
		allocs[i] = b.a
	}
	errs := h.ClaimBatch(ctx, allocs)
	if len(errs) != len(batch) {
		t.Fatalf("ClaimBatch returned %d results for %d allocations", len(errs), len(batch))
	}
	for i, b := range batch {
		if b.want == nil && errs[i] != nil || b.want != nil && !errors.Is(errs[i], b.want) {
			t.Errorf("item %d (%s on %s): got %v, want %v", i, b.a.ContainerUUID, b.a.Host, errs[i], b.want)
		}
	}

	usage, err := h.Usage(ctx)
	noErr(t, err, "Usage")
	want := map[string]model.Usage{
		"node-1": {CPU: 3, Memory: 768, Disk: 3, Containers: 3},
		"node-2": {CPU: 1, Memory: 256, Disk: 1, Containers: 1},
		"node-3": {CPU: 3, Memory: 768, Disk: 3, Containers: 3},
	}
	for host, w := range want {
		if u := usage[host]; u != w {
			t.Errorf("usage of %s = %+v, want %+v", host, u, w)
		}
	}
	wantHost := map[int]string{0: "node-1", 1: "node-1", 3: "node-2", 5: "node-1", 6: "node-3", 7: "node-3", 8: "node-3"}
	for i, c := range cs {
		got, err := s.Containers().Get(ctx, c.UUID)
		noErr(t, err, "Get")
		if got.Host != wantHost[i] {
			t.Errorf("container %d has host %q, want %q", i, got.Host, wantHost[i])
		}
	}
}

// testClaimBatchConcurrent runs batches from several goroutines on one
// store: hosts are never over-committed.
func testClaimBatchConcurrent(t *testing.T, s store.Store) {
	claimBatchesConcurrently(t, []store.Store{s}, 6)
}

// claimBatchesConcurrently sends goroutines batches of claims through the
// stores (which share one database), in turn, on three small hosts that
// cannot take them all (each is asked about 20 times), and checks that the
// hosts are filled exactly: never over-committed, no room refused.
func claimBatchesConcurrently(t *testing.T, stores []store.Store, goroutines int) {
	t.Helper()
	ctx := system()
	s := stores[0]
	rooms := map[string]int{"node-1": 4, "node-2": 3, "node-3": 2}
	hostNames := []string{"node-1", "node-2", "node-3"}
	for _, host := range hostNames {
		noErr(t, s.Hosts().Upsert(ctx, NewNode(host, rooms[host])), "Upsert")
	}
	const perGoroutine = 10
	cs := claimable(t, s, goroutines*perGoroutine)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		won  = map[string]string{} // container uuid -> host
		refs int
	)
	for g := range goroutines {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			mine := cs[g*perGoroutine : (g+1)*perGoroutine]
			st := stores[g%len(stores)]
			// Batches of 1 to 4 claims on random hosts, in a random order.
			for len(mine) > 0 {
				n := min(len(mine), 1+rng.IntN(4))
				allocs := make([]model.Allocation, n)
				for i, c := range mine[:n] {
					allocs[i] = alloc(c, hostNames[rng.IntN(len(hostNames))])
				}
				errs := st.Hosts().ClaimBatch(ctx, allocs)
				mu.Lock()
				for i, err := range errs {
					switch {
					case err == nil:
						won[allocs[i].ContainerUUID] = allocs[i].Host
					case errors.Is(err, errdefs.ErrConflict):
						refs++
					default:
						t.Errorf("ClaimBatch item %d: unexpected error %v", i, err)
					}
				}
				mu.Unlock()
				mine = mine[n:]
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	perHost := map[string]int{}
	for _, host := range won {
		perHost[host]++
	}
	usage, err := s.Hosts().Usage(ctx)
	noErr(t, err, "Usage")
	for _, host := range hostNames {
		n := rooms[host]
		u := usage[host]
		if perHost[host] != n || u.Containers != perHost[host] || u.CPU != float64(perHost[host]) ||
			u.Memory != int64(perHost[host])*256 || u.Disk != int64(perHost[host]) {
			t.Fatalf("host %s with room for %d: %d claims won, usage %+v", host, n, perHost[host], u)
		}
	}
	if len(won)+refs != len(cs) {
		t.Fatalf("%d claims won and %d refused of %d", len(won), refs, len(cs))
	}
	for _, c := range cs {
		got, err := s.Containers().Get(ctx, c.UUID)
		noErr(t, err, "Get")
		if got.Host != won[c.UUID] {
			t.Fatalf("container %s: won host %q but records %q", c.UUID, won[c.UUID], got.Host)
		}
	}
}

// RunShared runs the tests that need several stores open on one
// database, as several zun-api processes are. newStores must return n
// stores sharing one empty database that stay open until t ends.
func RunShared(t *testing.T, newStores func(t *testing.T, n int) []store.Store) {
	t.Run("Hosts/ClaimBatchSharedDatabase", func(t *testing.T) {
		stores := newStores(t, 3)
		if len(stores) != 3 {
			t.Fatalf("newStores gave %d stores, want 3", len(stores))
		}
		claimBatchesConcurrently(t, stores, 9)
	})
	t.Run("Quotas/CreateRaceSharedDatabase", func(t *testing.T) {
		quotaCreateRace(t, newStores(t, 3))
	})
}
