package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// networkResult is phase 7: what tenant networking costs. Setup: the
// same create-to-Running on an all-in-one with tenant networking (a port
// made by the network service, bound by the Docker network plugin, a veth
// on the network's bridge, security-group rules) and on one started with
// --networking none (Docker's default bridge). Throughput: a TCP stream
// between two containers on one tenant network of one host against the
// same stream between two bare network namespaces on a plain Linux bridge.
type networkResult struct {
	Tenant, None    []time.Duration
	Tenant1, Floor1 []float64 // MB/s
	Err             error
}

const (
	netStreamMiB = 2048 // bytes of one throughput sample
	netSamples   = 5
	netPort      = "5001"
)

func (b *bench) phaseNetwork(ctx context.Context) networkResult {
	var res networkResult
	tenant, err := b.startAIO(ctx, "net-tenant", true)
	if err != nil {
		res.Err = fmt.Errorf("starting the tenant-networking all-in-one: %w", err)
		return res
	}
	defer tenant.stop()
	none, err := b.startAIO(ctx, "net-none", true, "--networking", "none")
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
	none.stop()

	if res.Tenant1, err = b.tenantThroughput(ctx, tenant); err != nil {
		res.Err = fmt.Errorf("throughput on a tenant network: %w", err)
		return res
	}
	if res.Floor1, err = b.bridgeThroughput(ctx); err != nil {
		res.Err = fmt.Errorf("throughput on a plain bridge: %w", err)
	}
	return res
}

// tenantThroughput streams between two containers of a's default tenant
// network, through docker exec.
func (b *bench) tenantThroughput(ctx context.Context, a *aio) ([]float64, error) {
	var uuids []string
	defer func() {
		for _, u := range uuids {
			_ = a.remove(ctx, u, time.Minute)
		}
	}()
	for _, name := range []string{"bench-net-server", "bench-net-client"} {
		uuid, err := a.create(ctx, createReq{Name: name, Image: image, Command: command, CPU: 1, Memory: "256"}, true)
		if err != nil {
			return nil, err
		}
		uuids = append(uuids, uuid)
		if err := a.waitStatus(ctx, uuid, "Running", every(50*time.Millisecond), 2*time.Minute); err != nil {
			return nil, err
		}
	}
	ip, err := a.firstAddress(ctx, uuids[0])
	if err != nil {
		return nil, err
	}
	server := []string{"docker", "exec", "zun-" + uuids[0]}
	client := []string{"docker", "exec", "zun-" + uuids[1]}
	return streamSamples(ctx, server, client, ip)
}

// bridgeThroughput streams between two network namespaces joined by veth
// pairs to a plain Linux bridge, with the host's busybox.
func (b *bench) bridgeThroughput(ctx context.Context) ([]float64, error) {
	br, ns1, ns2 := "zbb"+b.runID[:6], "zbench-"+b.runID+"-1", "zbench-"+b.runID+"-2"
	undo := func() {
		_ = exec.Command("ip", "link", "del", br).Run()
		_ = exec.Command("ip", "netns", "del", ns1).Run()
		_ = exec.Command("ip", "netns", "del", ns2).Run()
	}
	defer undo()
	steps := [][]string{{"ip", "link", "add", br, "type", "bridge"}, {"ip", "link", "set", br, "up"}}
	for i, ns := range []string{ns1, ns2} {
		host, peer := fmt.Sprintf("zbv%s%d", b.runID[:6], i), fmt.Sprintf("zbp%s%d", b.runID[:6], i)
		steps = append(steps,
			[]string{"ip", "netns", "add", ns},
			[]string{"ip", "link", "add", host, "type", "veth", "peer", "name", peer},
			[]string{"ip", "link", "set", host, "master", br, "up"},
			[]string{"ip", "link", "set", peer, "netns", ns},
			[]string{"ip", "-n", ns, "link", "set", "lo", "up"},
			[]string{"ip", "-n", ns, "addr", "add", fmt.Sprintf("10.251.%d.%d/24", b.runID[0]%200, i+1), "dev", peer},
			[]string{"ip", "-n", ns, "link", "set", peer, "up"})
	}
	for _, s := range steps {
		if out, err := exec.CommandContext(ctx, s[0], s[1:]...).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("%s: %w: %s", strings.Join(s, " "), err, out)
		}
	}
	// nsenter, not ip netns exec: the same process tree as docker exec
	// has, without the remount of /sys.
	server := []string{"nsenter", "--net=/run/netns/" + ns1, "busybox"}
	client := []string{"nsenter", "--net=/run/netns/" + ns2, "busybox"}
	return streamSamples(ctx, server, client, fmt.Sprintf("10.251.%d.1", b.runID[0]%200))
}

// streamSamples times netSamples streams of netStreamMiB from the client
// to a listener on ip, each less the time of an empty stream through the
// same commands (the exec and connect overhead). exec prefixes run a
// command in the server's and the client's network.
func streamSamples(ctx context.Context, server, client []string, ip string) ([]float64, error) {
	stream := func(mib int) (time.Duration, error) {
		srv := exec.CommandContext(ctx, server[0], append(server[1:], "sh", "-c", "sleep 600 | nc -l -p "+netPort+" >/dev/null")...)
		if err := srv.Start(); err != nil {
			return 0, err
		}
		defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
		send := fmt.Sprintf("dd if=/dev/zero bs=1M count=%d 2>/dev/null | nc %s %s", mib, ip, netPort)
		deadline := time.Now().Add(10 * time.Second)
		for {
			start := time.Now()
			out, err := exec.CommandContext(ctx, client[0], append(client[1:], "sh", "-c", send)...).CombinedOutput()
			if err == nil {
				return time.Since(start), nil
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				return 0, fmt.Errorf("stream to %s: %w: %s", ip, err, out)
			}
			time.Sleep(50 * time.Millisecond) // the listener is not up yet
		}
	}
	var empty time.Duration
	for range 3 {
		d, err := stream(0)
		if err != nil {
			return nil, err
		}
		if empty == 0 || d < empty {
			empty = d
		}
	}
	var out []float64
	for range netSamples {
		d, err := stream(netStreamMiB)
		if err != nil {
			return nil, err
		}
		if d <= empty {
			return nil, errors.New("a stream took less than an empty one")
		}
		out = append(out, float64(netStreamMiB)*1.048576/(d-empty).Seconds())
	}
	return out, nil
}

// firstAddress is the first fixed IP in a container's addresses.
func (z *zclient) firstAddress(ctx context.Context, uuid string) (string, error) {
	var v struct {
		Addresses map[string][]struct {
			Addr string `json:"addr"`
		} `json:"addresses"`
	}
	if _, err := z.do(ctx, http.MethodGet, "/v1/containers/"+uuid, nil, &v); err != nil {
		return "", err
	}
	for _, as := range v.Addresses {
		for _, a := range as {
			if a.Addr != "" {
				return a.Addr, nil
			}
		}
	}
	return "", fmt.Errorf("container %s has no address", uuid)
}

func medianF(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
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
	f("\nThroughput: %d streams of %d MiB (busybox `dd | nc`) from one container to another on one tenant network of one host, against the same between two network namespaces on a plain Linux bridge; each less the time of an empty stream through the same exec path.\n\n", netSamples, netStreamMiB)
	f("| path | samples (MB/s) | median |\n|---|---|---|\n")
	show := func(name string, v []float64) {
		var s []string
		for _, x := range v {
			s = append(s, fmt.Sprintf("%.0f", x))
		}
		f("| %s | %s | %.0f MB/s |\n", name, strings.Join(s, ", "), medianF(v))
	}
	show("tenant network, one host", n.Tenant1)
	show("plain bridge, bare netns", n.Floor1)
	f("\n")
	if len(n.Tenant1) > 0 && len(n.Floor1) > 0 {
		rows = append(rows, summaryRow{"container-to-container throughput on one host, tenant network / plain bridge",
			fmt.Sprintf("%.2f", medianF(n.Tenant1)/medianF(n.Floor1)), "reported", "-"})
	}
	return rows
}
