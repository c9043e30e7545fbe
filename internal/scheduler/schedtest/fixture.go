package schedtest

import (
	"fmt"
	"time"

	"github.com/openzun/zun/internal/model"
)

// Node returns a compute node with the given capacity, allocation ratios of
// 1, no reservation, disk quota support and the "runc" runtime.
func Node(hostname string, cpus int, memMiB, diskGiB int64) *model.ComputeNode {
	return &model.ComputeNode{
		UUID:                fmt.Sprintf("uuid-%s", hostname),
		Hostname:            hostname,
		CPUs:                cpus,
		MemTotal:            memMiB,
		DiskTotal:           diskGiB,
		DiskQuotaSupported:  true,
		Architecture:        "x86_64",
		OSType:              "linux",
		Runtimes:            []string{"runc"},
		Labels:              map[string]string{},
		CPUAllocationRatio:  1,
		RAMAllocationRatio:  1,
		DiskAllocationRatio: 1,
	}
}

// Service returns an enabled zun-compute service of host in zone az that
// heartbeated at seen.
func Service(host, az string, seen time.Time) *model.Service {
	return &model.Service{
		Host:             host,
		Binary:           "zun-compute",
		AvailabilityZone: az,
		LastSeenUp:       seen,
		ReportCount:      1,
	}
}

// Cluster returns a harness with n identical hosts "host-00000"… in zone az,
// all up at now.
func Cluster(n, cpus int, memMiB, diskGiB int64, az string, now time.Time) *Harness {
	h := New()
	for i := range n {
		name := fmt.Sprintf("host-%05d", i)
		h.AddHost(Node(name, cpus, memMiB, diskGiB), Service(name, az, now))
	}
	return h
}
