package sqlstore

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store/storetest"
	"github.com/openzun/zun/internal/testutil/pgtest"
	"github.com/openzun/zun/internal/zunctx"
)

// BenchmarkClaim measures Hosts.Claim, serially and from parallel
// goroutines, reporting claims/s. Containers and hosts are created before
// the timer; claims spread over enough hosts that each gets at most about
// 50 containers, a realistic density (the capacity check sums a host's
// allocations, so its cost grows with the containers on that host).
func BenchmarkClaim(b *testing.B) {
	for _, backend := range []struct {
		name string
		dsn  func(b *testing.B) string
	}{
		{"sqlite", func(b *testing.B) string { return sqliteDSN(b) }},
		{"postgres", func(b *testing.B) string { return pgtest.Shared(b) }},
	} {
		for _, parallel := range []bool{false, true} {
			name := backend.name + "/serial"
			if parallel {
				name = backend.name + "/parallel"
			}
			b.Run(name, func(b *testing.B) { benchClaim(b, backend.dsn(b), parallel) })
		}
	}
}

func benchClaim(b *testing.B, dsn string, parallel bool) {
	s := openStore(b, dsn)
	ctx := zunctx.System(context.Background())
	hosts := max(8, b.N/50)
	names := make([]string, hosts)
	for i := range names {
		n := storetest.NewNode(fmt.Sprintf("bench-%d", i), 1<<20)
		names[i] = n.Hostname
		if err := s.Hosts().Upsert(ctx, n); err != nil {
			b.Fatal(err)
		}
	}
	uuids := make([]string, b.N)
	for i := range uuids {
		c := &model.Container{ProjectID: "bench", CPU: 0.5, Memory: 64}
		if err := s.Containers().Create(ctx, c); err != nil {
			b.Fatal(err)
		}
		uuids[i] = c.UUID
	}
	claim := func(i int) {
		if err := s.Hosts().Claim(ctx, model.Allocation{
			ContainerUUID: uuids[i], Host: names[i%hosts], CPU: 0.5, Memory: 64}); err != nil {
			b.Error(err)
		}
	}
	b.ResetTimer()
	if parallel {
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				claim(int(next.Add(1) - 1))
			}
		})
	} else {
		for i := range b.N {
			claim(i)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "claims/s")
}

// BenchmarkClaimBatch measures Hosts.ClaimBatch with batches of 16 and 64
// claims spread over the hosts as in BenchmarkClaim, reporting claims/s.
func BenchmarkClaimBatch(b *testing.B) {
	for _, backend := range []struct {
		name string
		dsn  func(b *testing.B) string
	}{
		{"sqlite", func(b *testing.B) string { return sqliteDSN(b) }},
		{"postgres", func(b *testing.B) string { return pgtest.Shared(b) }},
	} {
		for _, size := range []int{16, 64} {
			b.Run(fmt.Sprintf("%s/batch=%d", backend.name, size), func(b *testing.B) {
				benchClaimBatch(b, backend.dsn(b), size)
			})
		}
	}
}

func benchClaimBatch(b *testing.B, dsn string, size int) {
	s := openStore(b, dsn)
	ctx := zunctx.System(context.Background())
	claims := b.N * size
	hosts := max(8, claims/50)
	names := make([]string, hosts)
	for i := range names {
		n := storetest.NewNode(fmt.Sprintf("bench-%d", i), 1<<20)
		names[i] = n.Hostname
		if err := s.Hosts().Upsert(ctx, n); err != nil {
			b.Fatal(err)
		}
	}
	allocs := make([]model.Allocation, claims)
	for i := range allocs {
		c := &model.Container{ProjectID: "bench", CPU: 0.5, Memory: 64}
		if err := s.Containers().Create(ctx, c); err != nil {
			b.Fatal(err)
		}
		allocs[i] = model.Allocation{ContainerUUID: c.UUID, Host: names[i%hosts], CPU: 0.5, Memory: 64}
	}
	b.ResetTimer()
	for i := range b.N {
		for j, err := range s.Hosts().ClaimBatch(ctx, allocs[i*size:(i+1)*size]) {
			if err != nil {
				b.Fatalf("item %d: %v", j, err)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(claims)/b.Elapsed().Seconds(), "claims/s")
}
