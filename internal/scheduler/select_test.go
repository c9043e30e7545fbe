package scheduler_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/scheduler"
	"github.com/openzun/zun/internal/scheduler/filters"
	"github.com/openzun/zun/internal/scheduler/schedtest"
	"github.com/openzun/zun/internal/scheduler/weighers"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// snapshotOf builds a snapshot of n hosts; mem[i%len(mem)] is host i's RAM.
func snapshotOf(n int, mem ...int64) *scheduler.Snapshot {
	nodes := make([]*model.ComputeNode, n)
	svcs := make([]*model.Service, n)
	for i := range n {
		name := fmt.Sprintf("h%04d", i)
		nodes[i] = schedtest.Node(name, 8, mem[i%len(mem)], 100)
		svcs[i] = schedtest.Service(name, "az1", t0)
	}
	return scheduler.NewSnapshot(t0, nodes, svcs, nil)
}

func defaultFilters(t testing.TB) []scheduler.Filter {
	t.Helper()
	fs, err := filters.Build(filters.DefaultNames(), filters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// countingFilter counts Pass calls and passes everything.
type countingFilter struct{ n *int }

func (countingFilter) Name() string                                         { return "Counting" }
func (c countingFilter) Pass(*scheduler.HostState, *scheduler.Request) bool { *c.n++; return true }

func TestSelectRanksBestFirst(t *testing.T) {
	snap := snapshotOf(10, 1024, 2048, 4096, 8192, 512)
	rng := rand.New(rand.NewPCG(1, 2))
	r := &scheduler.Request{ContainerUUID: "c", CPU: 1, Memory: 256}
	got := scheduler.Select(snap, r, defaultFilters(t), []scheduler.Weigher{weighers.Spread{}}, rng)
	if len(got) != scheduler.DefaultCandidates {
		t.Fatalf("got %d candidates, want %d", len(got), scheduler.DefaultCandidates)
	}
	if got[0].Node.MemTotal != 8192 || got[1].Node.MemTotal != 8192 || got[2].Node.MemTotal != 4096 {
		t.Fatalf("spread order = %d, %d, %d", got[0].Node.MemTotal, got[1].Node.MemTotal, got[2].Node.MemTotal)
	}
	got = scheduler.Select(snap, r, defaultFilters(t), []scheduler.Weigher{weighers.Binpack{}}, rng)
	if got[0].Node.MemTotal != 512 {
		t.Fatalf("binpack best = %d MiB, want 512", got[0].Node.MemTotal)
	}
}

func TestSelectFiltersAndEmpty(t *testing.T) {
	snap := snapshotOf(5, 1024)
	rng := rand.New(rand.NewPCG(3, 4))
	ws := []scheduler.Weigher{weighers.Spread{}}
	if got := scheduler.Select(snap, &scheduler.Request{Memory: 2048}, defaultFilters(t), ws, rng); len(got) != 0 {
		t.Fatalf("too big: got %d hosts", len(got))
	}
	if got := scheduler.Select(snap, &scheduler.Request{AvailabilityZone: "az9"}, defaultFilters(t), ws, rng); len(got) != 0 {
		t.Fatalf("wrong az: got %d hosts", len(got))
	}
	if got := scheduler.Select(&scheduler.Snapshot{}, &scheduler.Request{}, defaultFilters(t), ws, rng); got != nil {
		t.Fatal("empty snapshot gave hosts")
	}
	snap.Host("h0003").Refuse(&scheduler.Request{Memory: 100})
	r := &scheduler.Request{Memory: 200, RequestedHost: "h0003"}
	if got := scheduler.Select(snap, r, defaultFilters(t), ws, rng); len(got) != 0 {
		t.Fatal("known-full host selected")
	}
}

func TestSelectRequestedHostIsLookedUp(t *testing.T) {
	snap := snapshotOf(1000, 1024)
	n := 0
	fs := append(defaultFilters(t), countingFilter{&n})
	rng := rand.New(rand.NewPCG(5, 6))
	got := scheduler.Select(snap, &scheduler.Request{RequestedHost: "h0777"}, fs, nil, rng)
	if len(got) != 1 || got[0].Node.Hostname != "h0777" {
		t.Fatalf("got %v", got)
	}
	if n != 1 {
		t.Fatalf("evaluated %d hosts for a pinned request, want 1", n)
	}
	if got := scheduler.Select(snap, &scheduler.Request{RequestedHost: "nope"}, fs, nil, rng); len(got) != 0 {
		t.Fatal("unknown requested host selected")
	}
}

func TestSelectStopsEarly(t *testing.T) {
	tests := []struct {
		name      string
		hosts     int
		opts      scheduler.SelectOptions
		wantEvals int
	}{
		{"small cluster is scanned fully", 40, scheduler.SelectOptions{}, 40},
		{"minimum of 50", 500, scheduler.SelectOptions{}, 50},
		{"5 percent", 10000, scheduler.SelectOptions{}, 500},
		{"custom", 10000, scheduler.SelectOptions{MinFeasible: 10, FeasiblePercent: 1}, 100},
		{"exhaustive", 2000, scheduler.SelectOptions{FeasiblePercent: 100}, 2000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap := snapshotOf(tc.hosts, 1024)
			n := 0
			rng := rand.New(rand.NewPCG(7, 8))
			got := scheduler.SelectWith(snap, &scheduler.Request{Memory: 1}, []scheduler.Filter{countingFilter{&n}},
				[]scheduler.Weigher{weighers.Spread{}}, rng, tc.opts)
			if n != tc.wantEvals {
				t.Fatalf("evaluated %d hosts, want %d", n, tc.wantEvals)
			}
			if len(got) == 0 {
				t.Fatal("no candidates")
			}
		})
	}
}

func TestSelectRandomOffsetSpreadsTies(t *testing.T) {
	snap := snapshotOf(200, 1024)
	rng := rand.New(rand.NewPCG(9, 10))
	seen := map[string]bool{}
	for range 50 {
		got := scheduler.Select(snap, &scheduler.Request{Memory: 1}, defaultFilters(t), []scheduler.Weigher{weighers.Spread{}}, rng)
		seen[got[0].Node.Hostname] = true
	}
	if len(seen) < 10 {
		t.Fatalf("equal hosts: only %d distinct winners in 50 decisions", len(seen))
	}
}

func TestSelectNoAllocationPerHost(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	fs := defaultFilters(t)
	ws := []scheduler.Weigher{weighers.Spread{}}
	r := &scheduler.Request{CPU: 1, Memory: 1, Hints: map[string]string{"label:x": ""}}
	measure := func(n int) float64 {
		snap := snapshotOf(n, 1024)
		for _, h := range snap.Hosts {
			h.Node.Labels["x"] = ""
		}
		return testing.AllocsPerRun(20, func() {
			scheduler.SelectWith(snap, r, fs, ws, rng, scheduler.SelectOptions{FeasiblePercent: 100})
		})
	}
	small, large := measure(10), measure(5000)
	if small != large {
		t.Fatalf("allocations grow with hosts: %v at 10, %v at 5000", small, large)
	}
}
