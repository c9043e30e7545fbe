package schedbench_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/scheduler"
	"github.com/openzun/zun/internal/zunctx"
)

// benchParallelism is the number of goroutines per GOMAXPROCS of the
// parallel benchmarks: many API requests in flight at once.
const benchParallelism = 16

// BenchmarkScheduleDurable is a whole placement at 1,000 and 10,000 hosts:
// cached snapshot, Select, and the durable claim transaction in SQLite
// (which re-checks the host's capacity and sets the container's host).
// It runs serially, and from 16 goroutines per CPU with claims one by one
// (ClaimBatch 1) and with group commit (the default). Container records
// are created before the timer starts, as the API creates them before it
// schedules.
func BenchmarkScheduleDurable(b *testing.B) {
	modes := []struct {
		name     string
		parallel bool
		batch    int
	}{
		{"serial", false, 0},
		{"parallel=16/batch=1", true, 1},
		{"parallel=16/batch=default", true, 0},
	}
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("hosts=%d", n), func(b *testing.B) {
			st := openStore(b, n, 1<<20, 1<<40)
			ctx := zunctx.System(context.Background())
			for _, m := range modes {
				b.Run(m.name, func(b *testing.B) {
					cl := &countingClaimer{BatchClaimer: st.Hosts()}
					s, err := scheduler.New(scheduler.Config{ClaimBatch: m.batch}, scheduler.StoreSource(st), cl, nil, time.Now)
					if err != nil {
						b.Fatal(err)
					}
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
					cl.reset()
					b.ReportAllocs()
					b.ResetTimer()
					start := time.Now()
					if m.parallel {
						b.SetParallelism(benchParallelism)
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
					b.ReportMetric(cl.perTransaction(), "claims/tx")
				})
			}
		})
	}
}

// countingClaimer counts the claims and the transactions they took.
type countingClaimer struct {
	scheduler.BatchClaimer
	claims, txs atomic.Int64
}

func (c *countingClaimer) Claim(ctx context.Context, a model.Allocation) error {
	c.claims.Add(1)
	c.txs.Add(1)
	return c.BatchClaimer.Claim(ctx, a)
}

func (c *countingClaimer) ClaimBatch(ctx context.Context, allocs []model.Allocation) []error {
	c.claims.Add(int64(len(allocs)))
	c.txs.Add(1)
	return c.BatchClaimer.ClaimBatch(ctx, allocs)
}

func (c *countingClaimer) reset() {
	c.claims.Store(0)
	c.txs.Store(0)
}

func (c *countingClaimer) perTransaction() float64 {
	if n := c.txs.Load(); n > 0 {
		return float64(c.claims.Load()) / float64(n)
	}
	return 0
}
