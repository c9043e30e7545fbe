package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/openzun/zun/internal/scheduler"
	"github.com/openzun/zun/internal/scheduler/filters"
	"github.com/openzun/zun/internal/scheduler/schedtest"
)

// Property tests: random clusters and random request sequences with fixed
// seeds (math/rand/v2), checked against the invariants of the scheduler.

var (
	zones    = []string{"", "az1", "az2"}
	runtimes = []string{"", "runc", "kata"}
)

// randomCluster builds 1..30 hosts of random size, zone, runtimes, labels,
// disk-quota support and service health at now.
func randomCluster(rng *rand.Rand, now time.Time) *schedtest.Harness {
	h := schedtest.New()
	for i := range 1 + rng.IntN(30) {
		name := fmt.Sprintf("h%02d", i)
		n := schedtest.Node(name, 1+rng.IntN(8), int64(512*(1+rng.IntN(16))), int64(rng.IntN(50)))
		n.DiskQuotaSupported = rng.IntN(2) == 0
		n.CPUAllocationRatio = []float64{1, 1.5, 4}[rng.IntN(3)]
		n.ReservedMemory = int64(rng.IntN(2) * 256)
		if rng.IntN(3) == 0 {
			n.Runtimes = append(n.Runtimes, "kata")
		}
		if rng.IntN(2) == 0 {
			n.Labels["ssd"] = "true"
		}
		s := schedtest.Service(name, zones[rng.IntN(len(zones))], now.Add(-time.Duration(rng.IntN(60))*time.Second))
		switch rng.IntN(10) {
		case 0:
			s.Disabled = true
		case 1:
			s.ForcedDown = true
		case 2:
			s.LastSeenUp = now.Add(-10 * time.Minute)
		}
		h.AddHost(n, s)
	}
	return h
}

func randomRequest(rng *rand.Rand, i int) *scheduler.Request {
	r := &scheduler.Request{
		ContainerUUID:    fmt.Sprintf("c-%05d", i),
		CPU:              []float64{0, 0.1, 0.5, 1, 2}[rng.IntN(5)],
		Memory:           int64(rng.IntN(5) * 256),
		AvailabilityZone: zones[rng.IntN(len(zones))],
		Runtime:          runtimes[rng.IntN(len(runtimes))],
	}
	if rng.IntN(4) == 0 {
		r.Disk = int64(1 + rng.IntN(10))
	}
	if rng.IntN(5) == 0 {
		r.Hints = map[string]string{"label:ssd": "true"}
	}
	return r
}

// trueSnapshot is the harness state as the scheduler would see it fresh.
func trueSnapshot(t *testing.T, h *schedtest.Harness, now time.Time) *scheduler.Snapshot {
	t.Helper()
	ctx := context.Background()
	nodes, _ := h.Hosts(ctx)
	svcs, _ := h.Services(ctx)
	usage, _ := h.Usage(ctx)
	return scheduler.NewSnapshot(now, nodes, svcs, usage)
}

// checkPlacement verifies a successful placement against the true state
// before the claim, restating each invariant independently of the filters.
func checkPlacement(t *testing.T, before *scheduler.Snapshot, r *scheduler.Request, host string, downTime time.Duration) {
	t.Helper()
	hs := before.Host(host)
	if hs == nil {
		t.Fatalf("%s placed on unknown host %q", r.ContainerUUID, host)
	}
	zone := hs.Service.AvailabilityZone
	if zone == "" {
		zone = "nova"
	}
	if r.AvailabilityZone != "" && r.AvailabilityZone != zone {
		t.Fatalf("%s asked for zone %q, placed on %q in %q", r.ContainerUUID, r.AvailabilityZone, host, zone)
	}
	if hs.Service.Disabled || hs.Service.ForcedDown || before.Now.Sub(hs.Service.LastSeenUp) > downTime {
		t.Fatalf("%s placed on disabled or down host %q: %+v", r.ContainerUUID, host, hs.Service)
	}
	if hs.FreeCPU() < r.CPU || hs.FreeMemory() < r.Memory || (r.Disk > 0 && (hs.FreeDisk() < r.Disk || !hs.Node.DiskQuotaSupported)) {
		t.Fatalf("%s (cpu %g mem %d disk %d) does not fit on %q: used %+v", r.ContainerUUID, r.CPU, r.Memory, r.Disk, host, hs.Used)
	}
}

// TestPropertySequential: one scheduler, random requests, releases and time
// steps. Every placement honours zone, health and capacity; every refusal is
// right (no host passes the filters on the true state); the store is never
// over-committed even when it does not re-check (Unchecked), i.e. the
// scheduler's own accounting is exact.
func TestPropertySequential(t *testing.T) {
	const downTime = 180 * time.Second
	fs, err := filters.Build(filters.DefaultNames(), filters.Options{ServiceDownTime: downTime})
	if err != nil {
		t.Fatal(err)
	}
	var placements, refusals int
	defer func() {
		// The generator must exercise both outcomes.
		if !t.Failed() && (placements < 1000 || refusals < 1000) {
			t.Errorf("weak generator: %d placements, %d refusals", placements, refusals)
		}
		t.Logf("%d placements, %d refusals", placements, refusals)
	}()
	for seed := range uint64(60) {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0x5eed))
			ck := &clock{now: t0}
			h := randomCluster(rng, t0)
			h.Unchecked = seed%2 == 0
			s := newScheduler(t, scheduler.Config{ServiceDownTime: downTime, SnapshotTTL: time.Second,
				Select: scheduler.SelectOptions{MinFeasible: 1 + rng.IntN(5), FeasiblePercent: 1}}, h, h, ck.Now)
			ctx := context.Background()
			var placed []string
			for i := range 300 {
				switch op := rng.IntN(20); {
				case op == 0 && len(placed) > 0:
					j := rng.IntN(len(placed))
					h.Release(placed[j])
					placed = append(placed[:j], placed[j+1:]...)
					s.Invalidate()
					continue
				case op == 1:
					// Time steps exceed the stale-serving window (a
					// few TTLs), so the snapshot's clock is the true
					// one and "down" is judged exactly.
					ck.Add(time.Duration(5+rng.IntN(90)) * time.Second)
					continue
				}
				r := randomRequest(rng, i)
				before := trueSnapshot(t, h, ck.Now())
				host, err := s.Schedule(ctx, r)
				switch {
				case err == nil:
					checkPlacement(t, before, r, host, downTime)
					placed = append(placed, r.ContainerUUID)
					placements++
				case errors.Is(err, scheduler.ErrNoValidHost):
					refusals++
					for _, hs := range before.Hosts {
						ok := true
						for _, f := range fs {
							ok = ok && f.Pass(hs, r)
						}
						if ok {
							t.Fatalf("%s refused but host %q passes every filter", r.ContainerUUID, hs.Node.Hostname)
						}
					}
				default:
					t.Fatalf("%s: %v", r.ContainerUUID, err)
				}
				if err := h.CheckCapacity(); err != nil {
					t.Fatalf("after %s: %v", r.ContainerUUID, err)
				}
			}
		})
	}
}

// TestPropertyConcurrentReplicas: several schedulers with stale caches race
// on one re-checking store. Capacity is never exceeded and zones and health
// are honoured.
func TestPropertyConcurrentReplicas(t *testing.T) {
	for seed := range uint64(10) {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0xc0c0))
			h := randomCluster(rng, t0)
			before := trueSnapshot(t, h, t0)
			var scheds []*scheduler.Scheduler
			for range 3 {
				scheds = append(scheds, newScheduler(t, scheduler.Config{SnapshotTTL: time.Hour}, h, h, func() time.Time { return t0 }))
			}
			reqs := make([][]*scheduler.Request, 6)
			for w := range reqs {
				for i := range 40 {
					reqs[w] = append(reqs[w], randomRequest(rng, w*1000+i))
				}
			}
			var mu sync.Mutex
			got := map[string]string{}
			var wg sync.WaitGroup
			for w := range reqs {
				wg.Go(func() {
					for _, r := range reqs[w] {
						host, err := scheds[w%len(scheds)].Schedule(context.Background(), r)
						if err != nil {
							if !errors.Is(err, scheduler.ErrNoValidHost) {
								t.Errorf("%s: %v", r.ContainerUUID, err)
							}
							continue
						}
						mu.Lock()
						got[r.ContainerUUID] = host
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if err := h.CheckCapacity(); err != nil {
				t.Fatal(err)
			}
			allocs := h.Allocations()
			if len(allocs) != len(got) {
				t.Fatalf("%d allocations for %d placements", len(allocs), len(got))
			}
			for _, rs := range reqs {
				for _, r := range rs {
					host, ok := got[r.ContainerUUID]
					if !ok {
						continue
					}
					// Zone and health do not depend on usage: check
					// them against the initial state.
					hs := before.Host(host)
					fresh := &scheduler.Snapshot{Now: t0, Hosts: []*scheduler.HostState{{Node: hs.Node, Service: hs.Service, Now: t0}}}
					checkPlacement(t, fresh, &scheduler.Request{ContainerUUID: r.ContainerUUID, AvailabilityZone: r.AvailabilityZone}, host, 180*time.Second)
				}
			}
		})
	}
}
