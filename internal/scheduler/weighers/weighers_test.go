package weighers_test

import (
	"errors"
	"math"
	"testing"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/scheduler/schedcore"
	"github.com/openzun/zun/internal/scheduler/weighers"
)

func state(cpus int, mem int64, usedCPU float64, usedMem int64) *schedcore.HostState {
	return &schedcore.HostState{
		Node: model.ComputeNode{Hostname: "h", CPUs: cpus, MemTotal: mem},
		Used: model.Usage{CPU: usedCPU, Memory: usedMem},
	}
}

func TestWeights(t *testing.T) {
	req := &schedcore.Request{CPU: 1, Memory: 1024}
	tests := []struct {
		name string
		host *schedcore.HostState
		want float64 // spread weight; binpack is 1 - want
	}{
		{"empty host", state(4, 4096, 0, 0), 2.0/3*0.75 + 1.0/3*0.75},
		{"half used", state(4, 4096, 1, 1024), 2.0/3*0.5 + 1.0/3*0.5},
		{"would be full", state(4, 4096, 3, 3072), 0},
		{"over full clamps", state(4, 4096, 4, 4096), 0},
		{"no capacity", state(0, 0, 0, 0), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := (weighers.Spread{}).Weight(tc.host, req); math.Abs(got-tc.want) > 1e-12 {
				t.Fatalf("spread = %v, want %v", got, tc.want)
			}
			if got := (weighers.Binpack{}).Weight(tc.host, req); math.Abs(got-(1-tc.want)) > 1e-12 {
				t.Fatalf("binpack = %v, want %v", got, 1-tc.want)
			}
		})
	}
}

func TestSpreadPrefersRAMOverCPU(t *testing.T) {
	req := &schedcore.Request{CPU: 1, Memory: 512}
	moreRAM := state(8, 8192, 7, 0)    // little cpu free, all ram free
	moreCPU := state(8, 8192, 0, 4096) // all cpu free, half ram used
	s := weighers.Spread{}
	if s.Weight(moreRAM, req) <= s.Weight(moreCPU, req) {
		t.Fatalf("spread should prefer free RAM: %v <= %v", s.Weight(moreRAM, req), s.Weight(moreCPU, req))
	}
	// Equal RAM: CPU decides.
	a, b := state(8, 8192, 1, 1024), state(8, 8192, 4, 1024)
	if s.Weight(a, req) <= s.Weight(b, req) {
		t.Fatal("spread should prefer free CPU when RAM is equal")
	}
}

func TestByName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{{"", "spread"}, {"spread", "spread"}, {"binpack", "binpack"}} {
		w, err := weighers.ByName(tc.in)
		if err != nil || w.Name() != tc.want {
			t.Fatalf("ByName(%q) = %v, %v; want %s", tc.in, w, err, tc.want)
		}
	}
	if _, err := weighers.ByName("random"); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("unknown weigher: err = %v", err)
	}
}
