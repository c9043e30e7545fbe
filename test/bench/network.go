package main

import (
	"context"
	"fmt"
	"time"
)

// networkResult is phase 7: the create-to-Running time tenant networking
// adds, and how much of it is the engine's own. Four paths, interleaved:
// the API on an all-in-one with tenant networking (a port made by the
// network service, bound by the Docker network plugin, a veth on the
// network's bridge, security-group rules) and on one started with
// --networking none (Docker's default bridge); the raw engine on a
// user-defined network of Docker's own bridge driver and on the default
// bridge. The engine does work for any user-defined network that it does
// not do for the default bridge (its embedded DNS resolver in each
// sandbox), whichever driver serves the network: the raw pair measures
// that floor. Throughput is a Go benchmark: BenchmarkTenantThroughput in
// test/e2e.
type networkResult struct {
	Tenant, None, RawNet, RawBridge []time.Duration
	Err                             error
}

// benchNetSubnet is the raw path's user-defined network: clear of Docker's
// default pools and of the all-in-one's external 172.24.4.0/24.
const benchNetSubnet = "10.213.213.0/24"

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
	netID, err := b.engine.bridgeNetwork(ctx, "zun-bench-"+b.runID, benchNetSubnet)
	if err != nil {
		res.Err = err
		return res
	}
	b.clean.add("remove the raw bridge network", func(ctx context.Context) error { return b.engine.removeNetwork(ctx, netID) })
	ectx, cancel := context.WithCancel(ctx)
	defer cancel()
	tenant.events = b.engine.watchHost(ectx, tenant.host)
	none.events = b.engine.watchHost(ectx, none.host)

	const paths = 4
	runs := max(1, min(b.p.runs, 20))
	for i := -1; i < runs; i++ {
		for k := range paths {
			var took time.Duration
			var err error
			path := (k + i + 1) % paths
			name := fmt.Sprintf("bench-%s-net-%d-%d", b.runID, i+1, path)
			into := []*[]time.Duration{&res.Tenant, &res.None, &res.RawNet, &res.RawBridge}[path]
			switch path {
			case 0, 1:
				a := []*aio{tenant, none}[path]
				var t apiTiming
				t, _, err = b.oneAPI(ctx, a, name, b.gatedPlan())
				took = t.total
			case 2, 3:
				on := []string{netID, ""}[path-2]
				var t rawTiming
				t, err = b.oneRawOn(ctx, name, on)
				took = t.create + t.start
			}
			if err != nil {
				res.Err = fmt.Errorf("network setup run %d, path %d: %w", i+1, path, err)
				return res
			}
			if i >= 0 {
				*into = append(*into, took)
			}
		}
	}
	return res
}

// oneRawOn times create+start on the engine network netID and removes the
// container.
func (b *bench) oneRawOn(ctx context.Context, name, netID string) (rawTiming, error) {
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	t, id, err := b.engine.createStartOn(cctx, name, netID, b.p.pollInterval)
	if id != "" {
		if rerr := b.engine.remove(ctx, id); rerr != nil && err == nil {
			err = rerr
		}
	}
	return t, err
}

func (r *report) networkSection(f printf) []summaryRow {
	f("## 7. Tenant networking\n\n")
	n := r.network
	if n == nil {
		f("not run\n\n")
		return nil
	}
	f("Create-to-Running on four paths, interleaved, one warm-up round: through the API (POST ?run=true until GET shows Running, gated polling) on two all-in-ones of the same binaries and engine, one with tenant networking (port from the network service, bound by the Docker network plugin, veth on the network's bridge, security-group rules in nftables), one with `--networking none` (Docker's default bridge); and on the raw engine (create, start, inspect until running) on a user-defined network of Docker's own bridge driver and on the default bridge. The engine sets up its embedded DNS resolver in every sandbox on a user-defined network, whichever driver serves it: the raw pair measures that share, which is the engine's, not ours.\n\n")
	failed(f, "phase 7", n.Err)
	t, o, rn, rb := summarize(n.Tenant), summarize(n.None), summarize(n.RawNet), summarize(n.RawBridge)
	f("| path | n | min | p50 | p95 | max |\n|---|---|---|---|---|---|\n")
	for _, row := range []struct {
		name string
		d    dist
	}{{"API, tenant network", t}, {"API, --networking none", o}, {"raw engine, user-defined bridge network", rn}, {"raw engine, default bridge", rb}} {
		f("| %s | %d | %s | %s | %s | %s |\n", row.name, row.d.N, ms(row.d.Min), ms(row.d.P50), ms(row.d.P95), ms(row.d.Max))
	}
	var rows []summaryRow
	if t.N > 0 && o.N > 0 && rn.N > 0 && rb.N > 0 {
		added, engine := t.P50-o.P50, rn.P50-rb.P50
		f("\n| difference | p50 | p95 |\n|---|---|---|\n")
		f("| added by tenant networking (API tenant − API none) | %s | %s |\n", ms(added), ms(t.P95-o.P95))
		f("| the engine's own for a user-defined network (raw network − raw bridge) | %s | %s |\n", ms(engine), ms(rn.P95-rb.P95))
		f("| added by Zun beyond the engine's own (target < 50 ms) | %s | %s |\n", ms(added-engine), ms((t.P95-o.P95)-(rn.P95-rb.P95)))
		f("| API tenant − raw user-defined network | %s | %s |\n", ms(t.P50-rn.P50), ms(t.P95-rn.P95))
		rows = append(rows,
			summaryRow{"create-to-running time added by tenant networking, p50", ms(added), "reported", "-"},
			summaryRow{"network setup added by Zun beyond the engine's own, p50", ms(added - engine), "< 50 ms", verdict(added-engine < 50*time.Millisecond)})
	}
	f("\nThroughput between containers: `BenchmarkTenantThroughput` (test/e2e) in the Go benchmarks of `make bench`.\n\n")
	return rows
}
