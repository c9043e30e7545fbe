package schedbench_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/store/sqlstore"
	"github.com/openzun/zun/internal/zunctx"
)

// openStore opens a fresh SQLite store in a temporary directory with n
// compute hosts in zone "az1", each with cpus vCPUs and mem MiB, all up.
func openStore(tb testing.TB, n, cpus int, mem int64) store.Store {
	tb.Helper()
	ctx := zunctx.System(context.Background())
	st, err := sqlstore.Open(ctx, "sqlite://"+filepath.Join(tb.TempDir(), "zun.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	now := time.Now()
	for i := range n {
		name := fmt.Sprintf("host-%05d", i)
		node := &model.ComputeNode{
			Hostname: name, CPUs: cpus, MemTotal: mem, DiskTotal: 1000, DiskQuotaSupported: true,
			Architecture: "x86_64", OSType: "linux", Runtimes: []string{"runc"},
			CPUAllocationRatio: 1, RAMAllocationRatio: 1, DiskAllocationRatio: 1,
		}
		if err := st.Hosts().Upsert(ctx, node); err != nil {
			tb.Fatalf("upsert host: %v", err)
		}
		if _, err := st.Services().Heartbeat(ctx, name, "zun-compute", "az1", now); err != nil {
			tb.Fatalf("heartbeat: %v", err)
		}
	}
	return st
}

var containerSeq atomic.Int64

// createContainers creates n container records, as the API does before it
// schedules them, and returns their UUIDs.
func createContainers(tb testing.TB, st store.Store, n int) []string {
	tb.Helper()
	ctx := zunctx.System(context.Background())
	out := make([]string, n)
	for i := range n {
		seq := containerSeq.Add(1)
		c := &model.Container{
			UUID:      fmt.Sprintf("00000000-0000-4000-8000-%012d", seq),
			Name:      fmt.Sprintf("bench-%d", seq),
			ProjectID: "bench-project",
			UserID:    "bench-user",
			Image:     "busybox:1.35",
			CPU:       0.1,
			Memory:    16,
		}
		if err := st.Containers().Create(ctx, c); err != nil {
			tb.Fatalf("create container: %v", err)
		}
		out[i] = c.UUID
	}
	return out
}
