package schedcore_test

import (
	"testing"
	"time"

	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/scheduler/schedcore"
)

func TestNewSnapshot(t *testing.T) {
	now := time.Now()
	nodes := []*model.ComputeNode{{Hostname: "a", CPUs: 4}, {Hostname: "b", CPUs: 8}, {Hostname: "c"}, nil}
	services := []*model.Service{
		{Host: "a", Binary: "zun-compute", AvailabilityZone: "az1"},
		{Host: "b", Binary: "zun-compute"},
		{Host: "c", Binary: "zun-wsproxy"}, // not a compute service: c is not schedulable
		nil,
	}
	usage := map[string]model.Usage{"a": {CPU: 1, Memory: 10}}
	snap := schedcore.NewSnapshot(now, nodes, services, usage)
	if len(snap.Hosts) != 2 {
		t.Fatalf("hosts = %d, want 2", len(snap.Hosts))
	}
	a := snap.Host("a")
	if a == nil || a.Service.AvailabilityZone != "az1" || a.Used.CPU != 1 || !a.Now.Equal(now) {
		t.Fatalf("host a = %+v", a)
	}
	if snap.Host("c") != nil || snap.Host("zzz") != nil {
		t.Fatal("unschedulable host found")
	}
	nodes[0].CPUs = 99
	if a.Node.CPUs != 4 {
		t.Fatal("snapshot shares the caller's node record")
	}
	if got := a.FreeCPU(); got != 3 {
		t.Fatalf("FreeCPU = %v, want 3", got)
	}
}

func TestRefuseKnownFull(t *testing.T) {
	h := &schedcore.HostState{}
	big := &schedcore.Request{CPU: 2, Memory: 1024, Disk: 1}
	if h.KnownFull(big) {
		t.Fatal("known full before any refusal")
	}
	h.Refuse(big)
	tests := []struct {
		name string
		req  schedcore.Request
		want bool
	}{
		{"same", schedcore.Request{CPU: 2, Memory: 1024, Disk: 1}, true},
		{"bigger", schedcore.Request{CPU: 3, Memory: 2048, Disk: 1}, true},
		{"less cpu", schedcore.Request{CPU: 1, Memory: 2048, Disk: 1}, false},
		{"less memory", schedcore.Request{CPU: 2, Memory: 512, Disk: 1}, false},
		{"no disk", schedcore.Request{CPU: 2, Memory: 1024}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := h.KnownFull(&tc.req); got != tc.want {
				t.Fatalf("KnownFull = %v, want %v", got, tc.want)
			}
		})
	}
	h.Consume(big)
	if h.Used.Containers != 1 || h.Used.Memory != 1024 {
		t.Fatalf("Consume: used = %+v", h.Used)
	}
}
