package main

import (
	"context"
	"fmt"
	"time"
)

// networkResult is phase 7: the create-to-Running time tenant networking
// adds. The same create on an all-in-one with tenant networking (a port
// made by the network service, bound by the Docker network plugin, a veth
// on the network's bridge, security-group rules) and on one started with
// --networking none (Docker's default bridge). Throughput is a Go
// benchmark: BenchmarkTenantThroughput in test/e2e.
type networkResult struct {
	Tenant, None []time.Duration
	Err          error
}

func (b *bench) phaseNetwork(ctx context.Context) networkResult {
	var res networkResult
	tenant, err := b.startAIO(ctx, "net-tenant", true, "--wsproxy-listen", "127.0.0.1:0")
	if err != nil {
		res.Err = fmt.Errorf("starting the tenant-networking all-in-one: %w", err)
		return res
	}
	defer tenant.stop()
	none, err := b.startAIO(ctx, "net-none", true, "--networking", "none", "--wsproxy-listen", "127.0.0.1:0")
	if err != nil {
		res.Err = fmt.Errorf("starting the --networking none all-in-one: %w", err)
		return res
	}
	defer none.stop()
	ectx, cancel := context.WithCancel(ctx)
	defer cancel()
	tenant.events = b.engine.watchHost(ectx, tenant.host)
	none.events = b.engine.watchHost(ectx, none.host)

	runs := max(1, min(b.p.runs, 20))
	for i := -1; i < runs; i++ {
		for k := range 2 {
			a, into := tenant, &res.Tenant
			if (k+i+1)%2 == 1 {
				a, into = none, &res.None
			}
			t, _, err := b.oneAPI(ctx, a, fmt.Sprintf("bench-net-%d-%d", i+1, k), b.gatedPlan())
			if err != nil {
				res.Err = fmt.Errorf("network setup run %d on %s: %w", i+1, a.name, err)
				return res
			}
			if i >= 0 {
				*into = append(*into, t.total)
			}
		}
	}
	return res
}

func (r *report) networkSection(f printf) []summaryRow {
	f("## 7. Tenant networking\n\n")
	n := r.network
	if n == nil {
		f("not run\n\n")
		return nil
	}
	f("Create-to-Running (POST ?run=true until GET shows Running, gated polling) on two all-in-ones of the same binaries and engine: one with tenant networking (port from the network service, bound by the Docker network plugin, veth on the network's bridge, security-group rules in nftables), one with `--networking none` (Docker's default bridge). Interleaved, one warm-up pair.\n\n")
	failed(f, "phase 7", n.Err)
	t, o := summarize(n.Tenant), summarize(n.None)
	f("| path | n | min | p50 | p95 | max |\n|---|---|---|---|---|---|\n")
	f("| tenant network | %d | %s | %s | %s | %s |\n", t.N, ms(t.Min), ms(t.P50), ms(t.P95), ms(t.Max))
	f("| --networking none | %d | %s | %s | %s | %s |\n", o.N, ms(o.Min), ms(o.P50), ms(o.P95), ms(o.Max))
	var rows []summaryRow
	if t.N > 0 && o.N > 0 {
		f("| added by tenant networking | | | %s | %s | |\n", ms(t.P50-o.P50), ms(t.P95-o.P95))
		rows = append(rows, summaryRow{"create-to-running time added by tenant networking, p50", ms(t.P50 - o.P50), "reported", "-"})
	}
	f("\nThroughput between containers: `BenchmarkTenantThroughput` (test/e2e) in the Go benchmarks of `make bench`.\n\n")
	return rows
}
