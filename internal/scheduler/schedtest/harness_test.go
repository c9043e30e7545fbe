package schedtest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/scheduler/schedtest"
)

func TestHarnessClaim(t *testing.T) {
	ctx := context.Background()
	h := schedtest.Cluster(1, 2, 1024, 10, "az1", time.Now())
	alloc := func(uuid string, cpu float64, mem, disk int64) model.Allocation {
		return model.Allocation{ContainerUUID: uuid, Host: "host-00000", CPU: cpu, Memory: mem, Disk: disk}
	}
	tests := []struct {
		name    string
		a       model.Allocation
		wantErr error
	}{
		{"fits", alloc("a", 1, 512, 5), nil},
		{"duplicate container", alloc("a", 0, 0, 0), errdefs.ErrAlreadyExists},
		{"too much cpu", alloc("b", 1.5, 1, 1), errdefs.ErrConflict},
		{"too much memory", alloc("b", 0, 513, 0), errdefs.ErrConflict},
		{"too much disk", alloc("b", 0, 0, 6), errdefs.ErrConflict},
		{"exactly the rest", alloc("b", 1, 512, 5), nil},
		{"unknown host", model.Allocation{ContainerUUID: "c", Host: "nope"}, errdefs.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := h.Claim(ctx, tc.a)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("Claim = %v, want %v", err, tc.wantErr)
			}
		})
	}
	if err := h.CheckCapacity(); err != nil {
		t.Fatal(err)
	}
	h.Release("a")
	h.Release("a")
	u, _ := h.Usage(ctx)
	if got := u["host-00000"]; got.CPU != 1 || got.Memory != 512 || got.Containers != 1 {
		t.Fatalf("usage after release = %+v", got)
	}
	_, claims, conflicts := h.Stats()
	if claims != 7 || conflicts != 3 {
		t.Fatalf("stats: %d claims, %d conflicts", claims, conflicts)
	}

	h.Unchecked = true
	if err := h.Claim(ctx, alloc("big", 100, 1, 1)); err != nil {
		t.Fatal(err)
	}
	if err := h.CheckCapacity(); !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("CheckCapacity on over-committed host = %v", err)
	}
}
