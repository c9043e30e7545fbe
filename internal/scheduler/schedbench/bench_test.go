package schedbench_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openzun/zun/internal/scheduler"
	"github.com/openzun/zun/internal/zunctx"
)

// BenchmarkScheduleDurable is a whole placement at 1,000 and 10,000 hosts:
// cached snapshot, Select, and the durable claim transaction in SQLite
// (which re-checks the host's capacity and sets the container's host).
// Container records are created before the timer starts, as the API
// creates them before it schedules.
func BenchmarkScheduleDurable(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("hosts=%d", n), func(b *testing.B) {
			st := openStore(b, n, 1<<20, 1<<40)
			s, err := scheduler.New(scheduler.Config{}, scheduler.StoreSource(st), st.Hosts(), nil, time.Now)
			if err != nil {
				b.Fatal(err)
			}
			ctx := zunctx.System(context.Background())
			for _, parallel := range []bool{false, true} {
				b.Run(fmt.Sprintf("parallel=%v", parallel), func(b *testing.B) {
					uuids := createContainers(b, st, b.N+1)
					var next atomic.Int64
					place := func() {
						u := uuids[next.Add(1)-1]
						r := &scheduler.Request{ContainerUUID: u, CPU: 0.1, Memory: 16, AvailabilityZone: "az1"}
						if _, err := s.Schedule(ctx, r); err != nil {
							b.Fatal(err)
						}
					}
					place() // warm the snapshot cache outside the timing
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
		})
	}
}
