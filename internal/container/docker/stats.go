package docker

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	dcontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/openzun/zun/internal/model"
)

// Keys of the stats map, exactly as Zun returns them.
const (
	StatContainer  = "CONTAINER"
	StatCPUPercent = "CPU %"
	StatMemUsage   = "MEM USAGE(MiB)"
	StatMemLimit   = "MEM LIMIT(MiB)"
	StatMemPercent = "MEM %"
	StatBlockIO    = "BLOCK I/O(B)"
	StatNetIO      = "NET I/O(B)"
)

// Stats takes one sample of c's usage (stream=false, one-shot) and returns
// Zun's stats map.
func (d *Driver) Stats(ctx context.Context, c *model.Container) (map[string]any, error) {
	name := c.DockerName()
	res, err := d.cli.ContainerStats(ctx, ref(c), client.ContainerStatsOptions{})
	if err != nil {
		return nil, translate("read stats of container "+name, err)
	}
	defer res.Body.Close()
	var s dcontainer.StatsResponse
	if err := json.NewDecoder(res.Body).Decode(&s); err != nil {
		return nil, translate("decode stats of container "+name, err)
	}
	label := c.Name
	if label == "" {
		label = name
	}
	return statsMap(label, &s), nil
}

// statsMap computes Zun's figures from one engine sample.
//
// CPU %: with a previous sample in the response, Docker's delta formula
// (container delta / system delta * online CPUs * 100). A one-shot sample
// has none, so Zun's formula applies: cumulative container CPU time over
// cumulative system CPU time * 100.
//
// MEM USAGE excludes the reclaimable page cache as docker stats does:
// total_inactive_file on cgroup v1, inactive_file on cgroup v2.
//
// BLOCK I/O sums read and write bytes ("Read"/"Write" on cgroup v1,
// "read"/"write" on v2); NET I/O sums rx and tx bytes over all interfaces.
func statsMap(name string, s *dcontainer.StatsResponse) map[string]any {
	var cpu float64
	cur, pre := s.CPUStats, s.PreCPUStats
	if pre.SystemUsage > 0 && cur.SystemUsage > pre.SystemUsage && cur.CPUUsage.TotalUsage >= pre.CPUUsage.TotalUsage {
		online := float64(cur.OnlineCPUs)
		if online == 0 {
			online = float64(len(cur.CPUUsage.PercpuUsage))
		}
		if online == 0 {
			online = 1
		}
		cpu = float64(cur.CPUUsage.TotalUsage-pre.CPUUsage.TotalUsage) /
			float64(cur.SystemUsage-pre.SystemUsage) * online * 100
	} else if cur.SystemUsage > 0 {
		cpu = float64(cur.CPUUsage.TotalUsage) / float64(cur.SystemUsage) * 100
	}

	usage := memUsageNoCache(s.MemoryStats)
	memUsage := float64(usage) / mib
	memLimit := float64(s.MemoryStats.Limit) / mib
	var memPercent float64
	if s.MemoryStats.Limit > 0 {
		memPercent = float64(usage) / float64(s.MemoryStats.Limit) * 100
	}

	var read, write uint64
	for _, e := range s.BlkioStats.IoServiceBytesRecursive {
		switch strings.ToLower(e.Op) {
		case "read":
			read += e.Value
		case "write":
			write += e.Value
		}
	}
	var rx, tx uint64
	for _, n := range s.Networks {
		rx += n.RxBytes
		tx += n.TxBytes
	}
	return map[string]any{
		StatContainer:  name,
		StatCPUPercent: cpu,
		StatMemUsage:   memUsage,
		StatMemLimit:   memLimit,
		StatMemPercent: memPercent,
		StatBlockIO:    fmt.Sprintf("%d/%d", read, write),
		StatNetIO:      fmt.Sprintf("%d/%d", rx, tx),
	}
}

// memUsageNoCache is the memory usage without inactive page cache.
func memUsageNoCache(m dcontainer.MemoryStats) uint64 {
	if v, ok := m.Stats["total_inactive_file"]; ok && v < m.Usage { // cgroup v1
		return m.Usage - v
	}
	if v, ok := m.Stats["inactive_file"]; ok && v < m.Usage { // cgroup v2
		return m.Usage - v
	}
	return m.Usage
}
