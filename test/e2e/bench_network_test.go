package e2e

import (
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/openzun/zun/internal/netplane"
	"github.com/openzun/zun/internal/testutil/hosttest"
)

// streamMiB is the size of one iteration's TCP stream.
const streamMiB = 512

// BenchmarkTenantThroughput measures a TCP stream (512 MiB per
// iteration, MB/s from SetBytes) between two containers of one tenant
// network on one host and on two hosts joined by VXLAN, against the floor:
// two bare network namespaces on a plain Linux bridge. Both ends are
// sockets of this process opened inside the namespaces, so every path
// has the same sender and receiver and only the network differs.
func BenchmarkTenantThroughput(b *testing.B) {
	requireDocker(b)

	b.Run("plain-bridge", func(b *testing.B) {
		ns1, ns2, ip := plainBridgePair(b)
		streamBench(b, ns1, ns2, ip)
	})

	b.Run("one-host", func(b *testing.B) {
		a := startAIO(b)
		netID := a.benchNetwork(b, "192.168.81.0/24")
		body := func() map[string]any {
			return map[string]any{"nets": []map[string]any{{"network": netID}}, "cpu": 1, "memory": "256"}
		}
		srv, cli := a.runOn(a.admin, body()), a.runOn(a.admin, body())
		streamBench(b, netnsOf(b, nil, srv.UUID), netnsOf(b, nil, cli.UUID), srv.ipOf(b))
	})

	b.Run("two-hosts", func(b *testing.B) {
		hosttest.Require(b)
		h1 := hosttest.Start(b, hosttest.Options{})
		h2 := hosttest.Start(b, hosttest.Options{})
		natsPort := strings.TrimPrefix(freePort(b), "127.0.0.1:")
		a := startAIO(b, "--embedded-compute=false", "--nats-listen", "0.0.0.0:"+natsPort)
		ag1, ag2 := startHostAgent(b, a, h1, natsPort), startHostAgent(b, a, h2, natsPort)
		waitFor(b, 60*time.Second, func() bool {
			var l struct{ Hosts []struct{ Hostname string } }
			a.Do("GET", "/v1/hosts", nil, 200, &l)
			return len(l.Hosts) == 2
		})
		netID := a.benchNetwork(b, "192.168.82.0/24")
		body := func(host string) map[string]any {
			return map[string]any{"host": host, "nets": []map[string]any{{"network": netID}}, "cpu": 1, "memory": "256"}
		}
		srv, cli := a.runOn(a.admin, body(ag1.name)), a.runOn(a.admin, body(ag2.name))
		streamBench(b, netnsOf(b, h1, srv.UUID), netnsOf(b, h2, cli.UUID), srv.ipOf(b))
	})
}

// benchNetwork makes a network with one subnet; the default security
// group lets members of the group (both ends) in.
func (a *aio) benchNetwork(t testing.TB, cidr string) string {
	var nw struct{ Network struct{ ID string } }
	a.Do("POST", "/network/v2.0/networks", map[string]any{"network": map[string]any{"name": "bench"}}, 201, &nw)
	a.Do("POST", "/network/v2.0/subnets", map[string]any{"subnet": map[string]any{"network_id": nw.Network.ID,
		"cidr": cidr, "ip_version": 4}}, 201, nil)
	return nw.Network.ID
}

// netnsOf is the network namespace path of a container's process, on the
// local engine (h nil) or a test host's.
func netnsOf(t testing.TB, h *hosttest.Host, uuid string) string {
	t.Helper()
	args := []string{"inspect", "-f", "{{.State.Pid}}", "zun-" + uuid}
	var pid string
	if h == nil {
		pid = docker(t, args...)
	} else {
		out, err := h.Docker(args...)
		if err != nil {
			t.Fatalf("docker %v on %s: %v: %s", args, h.Name, err, out)
		}
		pid = strings.TrimSpace(out)
	}
	if pid == "" || pid == "0" {
		t.Fatalf("container %s has no process", uuid)
	}
	return "/proc/" + pid + "/ns/net"
}

// plainBridgePair makes two namespaces with veths on a new bridge.
func plainBridgePair(t testing.TB) (string, string, string) {
	t.Helper()
	suffix := randSuffix()[:6]
	br := "zbb" + suffix
	var nss []string
	run := func(args ...string) {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v %s", strings.Join(args, " "), err, out)
		}
	}
	t.Cleanup(func() {
		_ = exec.Command("ip", "link", "del", br).Run()
		for _, ns := range nss {
			_ = exec.Command("ip", "netns", "del", ns).Run()
		}
	})
	run("link", "add", br, "type", "bridge")
	run("link", "set", br, "up")
	// Bridged traffic passes iptables here (br_netfilter, loaded by the
	// data plane) and Docker's FORWARD policy drops it: let it through as
	// Docker does for docker0.
	accept := []string{"FORWARD", "-i", br, "-o", br, "-j", "ACCEPT"}
	if out, err := exec.Command("iptables", append([]string{"-I"}, accept...)...).CombinedOutput(); err != nil {
		t.Fatalf("iptables: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("iptables", append([]string{"-D"}, accept...)...).Run() })
	for i := range 2 {
		ns := fmt.Sprintf("zbench-%s-%d", suffix, i)
		host, peer := fmt.Sprintf("zbv%s%d", suffix, i), fmt.Sprintf("zbp%s%d", suffix, i)
		run("netns", "add", ns)
		nss = append(nss, ns)
		run("link", "add", host, "type", "veth", "peer", "name", peer)
		run("link", "set", host, "master", br, "up")
		run("link", "set", peer, "netns", ns)
		run("-n", ns, "link", "set", "lo", "up")
		run("-n", ns, "addr", "add", fmt.Sprintf("10.251.81.%d/24", i+1), "dev", peer)
		run("-n", ns, "link", "set", peer, "up")
	}
	return "/run/netns/" + nss[0], "/run/netns/" + nss[1], "10.251.81.1"
}

// streamBench times one stream per iteration from a socket opened in the
// client namespace to a listener opened in the server namespace, until the
// listener has read it all.
func streamBench(b *testing.B, serverNS, clientNS, ip string) {
	var ln net.Listener
	if err := netplane.InNetNS(serverNS, func() (err error) {
		ln, err = net.Listen("tcp", net.JoinHostPort(ip, "0"))
		return err
	}); err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	received := make(chan int64)
	go func() {
		buf := make([]byte, 1<<20)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n, _ := io.CopyBuffer(io.Discard, struct{ io.Reader }{c}, buf)
			c.Close()
			received <- n
		}
	}()
	chunk := make([]byte, 1<<20)
	b.SetBytes(streamMiB << 20)
	for b.Loop() {
		var c net.Conn
		if err := netplane.InNetNS(clientNS, func() (err error) {
			c, err = net.DialTimeout("tcp", ln.Addr().String(), 10*time.Second)
			return err
		}); err != nil {
			b.Fatal(err)
		}
		for range streamMiB {
			if _, err := c.Write(chunk); err != nil {
				b.Fatal(err)
			}
		}
		_ = c.(*net.TCPConn).CloseWrite()
		if n := <-received; n != streamMiB<<20 {
			b.Fatalf("listener read %d bytes, want %d", n, streamMiB<<20)
		}
		c.Close()
	}
}
