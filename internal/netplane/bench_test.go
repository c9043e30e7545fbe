package netplane

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkApplyUnchanged50Ports measures the sync an agent runs on every
// change and every interval: a host with 50 filtered ports whose state did
// not change. The first Apply builds everything (reported once); each
// iteration re-applies the same state and must be a near no-op (one link
// dump, the fdb of each VXLAN device, one `nft list ruleset`).
func BenchmarkApplyUnchanged50Ports(b *testing.B) {
	requireRoot(b)
	ctx := context.Background()
	hosts := newHosts(b, 2, "", false)
	c := &cluster{hosts: hosts}
	net1 := c.vxlan("projA", "10.30.0.0/24", "10.30.0.1")
	net2 := c.vxlan("projA", "10.31.0.0/24", "10.31.0.1")
	sg := c.defaultGroup()
	var ids []string
	for i := range 50 {
		n := net1
		if i%2 == 1 {
			n = net2
		}
		ids = append(ids, c.port(0, n, fmt.Sprintf("10.%d.0.%d", 30+i%2, 10+i), sg))
	}
	for i := range 20 { // remote ports for fdb/neighbour entries
		c.port(1, net1, fmt.Sprintf("10.30.0.%d", 100+i), sg)
	}
	c.rev++
	st := c.stateFor(0)
	start := time.Now()
	if err := hosts[0].plane.Apply(ctx, st); err != nil {
		b.Fatal(err)
	}
	for _, id := range ids {
		if _, err := hosts[0].plane.EnsurePort(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("first Apply + 50 EnsurePort: %v", time.Since(start))
	b.ResetTimer()
	for b.Loop() {
		if err := hosts[0].plane.Apply(ctx, st); err != nil {
			b.Fatal(err)
		}
	}
}
