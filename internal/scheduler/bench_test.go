package scheduler_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openzun/zun/internal/scheduler"
	"github.com/openzun/zun/internal/scheduler/schedtest"
	"github.com/openzun/zun/internal/scheduler/weighers"
)

// Hosts are large enough that no benchmark run fills them.
const (
	benchCPUs = 1 << 20
	benchMem  = 1 << 40
)

// BenchmarkSelect is the pure decision on a snapshot.
func BenchmarkSelect(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("hosts=%d", n), func(b *testing.B) {
			snap := snapshotOf(n, 4096)
			fs := defaultFilters(b)
			ws := []scheduler.Weigher{weighers.Spread{}}
			rng := rand.New(rand.NewPCG(1, 1))
			r := &scheduler.Request{CPU: 1, Memory: 128, AvailabilityZone: "az1", Runtime: "runc"}
			b.ReportAllocs()
			for b.Loop() {
				if len(scheduler.Select(snap, r, fs, ws, rng)) == 0 {
					b.Fatal("no host")
				}
			}
		})
	}
}

// BenchmarkSchedule is a whole placement (snapshot cache, select, claim)
// against the in-memory harness, serial and from parallel callers.
func BenchmarkSchedule(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		for _, parallel := range []bool{false, true} {
			b.Run(fmt.Sprintf("hosts=%d/parallel=%v", n, parallel), func(b *testing.B) {
				h := schedtest.Cluster(n, benchCPUs, benchMem, 1<<20, "az1", time.Now())
				s, err := scheduler.New(scheduler.Config{}, h, h, nil, time.Now)
				if err != nil {
					b.Fatal(err)
				}
				ctx := context.Background()
				var seq atomic.Int64
				place := func() {
					i := seq.Add(1)
					r := &scheduler.Request{ContainerUUID: fmt.Sprintf("c-%d", i), CPU: 0.5, Memory: 64, AvailabilityZone: "az1"}
					if _, err := s.Schedule(ctx, r); err != nil {
						b.Fatal(err)
					}
				}
				place() // load the snapshot outside the timing
				b.ReportAllocs()
				b.ResetTimer()
				start := time.Now()
				if parallel {
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							place()
						}
					})
				} else {
					for range b.N {
						place()
					}
				}
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "placements/s")
			})
		}
	}
}
