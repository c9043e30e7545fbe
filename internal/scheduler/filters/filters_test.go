package filters_test

import (
	"errors"
	"testing"
	"time"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/scheduler/filters"
	"github.com/openzun/zun/internal/scheduler/schedcore"
)

var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// host returns a 4-cpu, 4096 MiB, 100 GiB host in az "az1", up at now,
// after applying mods.
func host(mods ...func(*schedcore.HostState)) *schedcore.HostState {
	h := &schedcore.HostState{
		Node: model.ComputeNode{
			Hostname: "h1", CPUs: 4, MemTotal: 4096, DiskTotal: 100, DiskQuotaSupported: true,
			Runtimes: []string{"runc", "kata"}, Labels: map[string]string{"ssd": "true", "rack": "r1"},
		},
		Service: model.Service{Host: "h1", Binary: "zun-compute", AvailabilityZone: "az1", LastSeenUp: now.Add(-10 * time.Second)},
		Now:     now,
	}
	for _, m := range mods {
		m(h)
	}
	return h
}

func TestFilters(t *testing.T) {
	az := filters.AvailabilityZone{DefaultAvailabilityZone: "nova"}
	azDefault := filters.AvailabilityZone{DefaultScheduleZone: "az1", DefaultAvailabilityZone: "nova"}
	compute := filters.Compute{ServiceDownTime: 180 * time.Second}
	noAZ := func(h *schedcore.HostState) { h.Service.AvailabilityZone = "" }
	used := func(cpu float64, mem, disk int64) func(*schedcore.HostState) {
		return func(h *schedcore.HostState) { h.Used = model.Usage{CPU: cpu, Memory: mem, Disk: disk} }
	}
	tests := []struct {
		name   string
		filter schedcore.Filter
		host   *schedcore.HostState
		req    schedcore.Request
		want   bool
	}{
		{"az none requested", az, host(), schedcore.Request{}, true},
		{"az match", az, host(), schedcore.Request{AvailabilityZone: "az1"}, true},
		{"az mismatch", az, host(), schedcore.Request{AvailabilityZone: "az2"}, false},
		{"az empty service is nova", az, host(noAZ), schedcore.Request{AvailabilityZone: "nova"}, true},
		{"az empty service not az1", az, host(noAZ), schedcore.Request{AvailabilityZone: "az1"}, false},
		{"az default schedule zone match", azDefault, host(), schedcore.Request{}, true},
		{"az default schedule zone mismatch", azDefault, host(noAZ), schedcore.Request{}, false},
		{"az request beats default", azDefault, host(noAZ), schedcore.Request{AvailabilityZone: "nova"}, true},

		{"compute up", compute, host(), schedcore.Request{}, true},
		{"compute disabled", compute, host(func(h *schedcore.HostState) { h.Service.Disabled = true }), schedcore.Request{}, false},
		{"compute forced down", compute, host(func(h *schedcore.HostState) { h.Service.ForcedDown = true }), schedcore.Request{}, false},
		{"compute heartbeat at limit", compute, host(func(h *schedcore.HostState) { h.Service.LastSeenUp = now.Add(-180 * time.Second) }), schedcore.Request{}, true},
		{"compute heartbeat too old", compute, host(func(h *schedcore.HostState) { h.Service.LastSeenUp = now.Add(-181 * time.Second) }), schedcore.Request{}, false},
		{"compute never seen", compute, host(func(h *schedcore.HostState) { h.Service.LastSeenUp = time.Time{} }), schedcore.Request{}, false},

		{"runtime any", filters.Runtime{}, host(), schedcore.Request{}, true},
		{"runtime present", filters.Runtime{}, host(), schedcore.Request{Runtime: "kata"}, true},
		{"runtime missing", filters.Runtime{}, host(), schedcore.Request{Runtime: "runsc"}, false},

		{"label none", filters.Label{}, host(), schedcore.Request{Hints: map[string]string{"group": "g1"}}, true},
		{"label match", filters.Label{}, host(), schedcore.Request{Hints: map[string]string{"label:ssd": "true", "label:rack": "r1"}}, true},
		{"label value differs", filters.Label{}, host(), schedcore.Request{Hints: map[string]string{"label:ssd": "false"}}, false},
		{"label missing", filters.Label{}, host(), schedcore.Request{Hints: map[string]string{"label:gpu": "true"}}, false},
		{"label empty value must exist", filters.Label{}, host(), schedcore.Request{Hints: map[string]string{"label:gpu": ""}}, false},

		{"cpu none requested", filters.CPU{}, host(used(4, 0, 0)), schedcore.Request{}, true},
		{"cpu fits exactly", filters.CPU{}, host(used(3, 0, 0)), schedcore.Request{CPU: 1}, true},
		{"cpu too much", filters.CPU{}, host(used(3.5, 0, 0)), schedcore.Request{CPU: 1}, false},
		{"cpu allocation ratio", filters.CPU{}, host(used(4, 0, 0), func(h *schedcore.HostState) { h.Node.CPUAllocationRatio = 16 }), schedcore.Request{CPU: 8}, true},

		{"ram fits exactly", filters.RAM{}, host(used(0, 3072, 0)), schedcore.Request{Memory: 1024}, true},
		{"ram too much", filters.RAM{}, host(used(0, 3073, 0)), schedcore.Request{Memory: 1024}, false},
		{"ram reserved", filters.RAM{}, host(func(h *schedcore.HostState) { h.Node.ReservedMemory = 512 }), schedcore.Request{Memory: 4000}, false},
		{"ram ratio", filters.RAM{}, host(func(h *schedcore.HostState) { h.Node.RAMAllocationRatio = 1.5 }), schedcore.Request{Memory: 6000}, true},

		{"disk none requested, no quota", filters.Disk{}, host(func(h *schedcore.HostState) { h.Node.DiskQuotaSupported = false }), schedcore.Request{}, true},
		{"disk requested, no quota", filters.Disk{}, host(func(h *schedcore.HostState) { h.Node.DiskQuotaSupported = false }), schedcore.Request{Disk: 1}, false},
		{"disk fits", filters.Disk{}, host(used(0, 0, 90)), schedcore.Request{Disk: 10}, true},
		{"disk too much", filters.Disk{}, host(used(0, 0, 91)), schedcore.Request{Disk: 10}, false},
		{"new volume, no quota", filters.Disk{}, host(func(h *schedcore.HostState) { h.Node.DiskQuotaSupported = false }), schedcore.Request{VolumeDisk: 100}, true},
		{"new volume too large", filters.Disk{}, host(used(0, 0, 1)), schedcore.Request{VolumeDisk: 100}, false},
		{"disk and volume add up", filters.Disk{}, host(used(0, 0, 80)), schedcore.Request{Disk: 10, VolumeDisk: 11}, false},

		{"requested host none", filters.RequestedHost{}, host(), schedcore.Request{}, true},
		{"requested host match", filters.RequestedHost{}, host(), schedcore.Request{RequestedHost: "h1"}, true},
		{"requested host other", filters.RequestedHost{}, host(), schedcore.Request{RequestedHost: "h2"}, false},
		{"volume host none", filters.VolumeHost{}, host(), schedcore.Request{}, true},
		{"volume host match", filters.VolumeHost{}, host(), schedcore.Request{VolumeHost: "h1"}, true},
		{"volume host other", filters.VolumeHost{}, host(), schedcore.Request{VolumeHost: "h2"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.filter.Pass(tc.host, &tc.req); got != tc.want {
				t.Fatalf("%s.Pass = %v, want %v", tc.filter.Name(), got, tc.want)
			}
		})
	}
}

func TestByName(t *testing.T) {
	for _, name := range filters.DefaultNames() {
		f, err := filters.ByName(name, filters.Options{})
		if err != nil {
			t.Fatalf("ByName(%q): %v", name, err)
		}
		if f.Name() != name {
			t.Fatalf("ByName(%q).Name() = %q", name, f.Name())
		}
	}
	if _, err := filters.ByName("JsonFilter", filters.Options{}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("unknown filter: err = %v, want ErrInvalidArgument", err)
	}
	if _, err := filters.Build([]string{"RamFilter", "Nope"}, filters.Options{}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("Build with unknown filter: err = %v, want ErrInvalidArgument", err)
	}
	f, _ := filters.ByName("ComputeFilter", filters.Options{})
	if c := f.(filters.Compute); c.ServiceDownTime != filters.DefaultServiceDownTime {
		t.Fatalf("default service down time = %v", c.ServiceDownTime)
	}
	f, _ = filters.ByName("AvailabilityZoneFilter", filters.Options{})
	if a := f.(filters.AvailabilityZone); a.DefaultAvailabilityZone != "nova" {
		t.Fatalf("default availability zone = %q", a.DefaultAvailabilityZone)
	}
}

// TestPassDoesNotAllocate guards the hot loop of Select.
func TestPassDoesNotAllocate(t *testing.T) {
	h := host()
	r := &schedcore.Request{CPU: 1, Memory: 128, Disk: 1, AvailabilityZone: "az1", Runtime: "runc",
		Hints: map[string]string{"label:ssd": "true"}}
	fs, err := filters.Build(filters.DefaultNames(), filters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		for _, f := range fs {
			if !f.Pass(h, r) {
				t.Fatalf("%s rejected", f.Name())
			}
		}
	})
	if allocs != 0 {
		t.Fatalf("filters allocate %v times per host", allocs)
	}
}
