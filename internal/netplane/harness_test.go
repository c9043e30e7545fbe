package netplane

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// The tests run on the real kernel: every "host" and "container" is a
// network namespace of their own (named, unique per test), the plane of a
// host manages that host's namespace via Config.NetNS, and nothing of the
// machine's own namespace is touched.

func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("netplane tests need root (network namespaces, nftables)")
	}
}

func uniq() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func sh(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// newNS makes a named namespace with lo up, deleted at the end of the test.
func newNS(t testing.TB, name string) string {
	t.Helper()
	sh(t, "ip", "netns", "add", name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "delete", name).Run() })
	sh(t, "ip", "-n", name, "link", "set", "lo", "up")
	return filepath.Join(netnsDir, name)
}

type testHost struct {
	name  string // netns name of the host (underlay, Docker's side)
	path  string
	dp    string // netns name of the data plane (== name unless split)
	plane *Plane
}

// newHosts makes n hosts joined by one underlay bridge in a separate
// namespace, with tunnel addresses 192.168.250.(i+1). With split, each
// host's data plane gets a namespace of its own and the host namespace gets
// Docker's FORWARD policy DROP, which the data plane must not depend on.
func newHosts(t testing.TB, n int, extCIDR string, split bool) []*testHost {
	t.Helper()
	u := uniq()
	var hosts []*testHost
	under := "np" + u + "u"
	newNS(t, under)
	sh(t, "ip", "-n", under, "link", "add", "ul", "type", "bridge")
	sh(t, "ip", "-n", under, "link", "set", "ul", "up")
	for i := range n {
		name := fmt.Sprintf("np%sh%d", u, i+1)
		path := newNS(t, name)
		tunnel := fmt.Sprintf("192.168.250.%d", i+1)
		sh(t, "ip", "-n", under, "link", "add", fmt.Sprintf("u%d", i), "type", "veth", "peer", "name", "eth0", "netns", name)
		sh(t, "ip", "-n", under, "link", "set", fmt.Sprintf("u%d", i), "master", "ul", "up")
		sh(t, "ip", "-n", name, "addr", "add", tunnel+"/24", "dev", "eth0")
		sh(t, "ip", "-n", name, "link", "set", "eth0", "up")
		// New namespaces may inherit forwarding; a host starts without it
		// and the plane must never turn it on.
		sh(t, "ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv4.ip_forward=0")
		dp, dpPath := name, path
		if split {
			dp = name + "d"
			dpPath = newNS(t, dp)
			sh(t, "ip", "netns", "exec", dp, "sysctl", "-qw", "net.ipv4.ip_forward=1") // the plane turns it off
			// What Docker does to the host: bridged traffic through
			// iptables, FORWARD dropped by default.
			sh(t, "ip", "netns", "exec", name, "nft", "add table ip filter")
			sh(t, "ip", "netns", "exec", name, "nft", "add chain ip filter FORWARD { type filter hook forward priority 0; policy drop; }")
		}
		cfg := Config{
			NetNS:            dpPath,
			HostNetNS:        path,
			TunnelIP:         tunnel,
			PhysicalBridges:  map[string]string{"public": "zun-ex"},
			ExternalHostCIDR: extCIDR,
			RouterNSPrefix:   "np" + u + "r" + fmt.Sprint(i+1) + "-",
		}
		log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
		p, err := New(cfg, log.With("host", name))
		if err != nil {
			t.Fatal(err)
		}
		h := &testHost{name: name, path: path, dp: dp, plane: p}
		t.Cleanup(func() {
			// Router namespaces are named, not children of the host's.
			_ = p.Apply(context.Background(), emptyState(1<<62))
			p.Close()
		})
		hosts = append(hosts, h)
	}
	return hosts
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// container is a namespace holding a port's peer device as Docker would
// configure it: renamed eth0, the port's address and default route.
type container struct {
	name, path string
	ip         string
}

func (h *testHost) plug(t testing.TB, portID string) *container {
	t.Helper()
	dev, err := h.plane.EnsurePort(context.Background(), portID)
	if err != nil {
		t.Fatalf("EnsurePort %s: %v", portID, err)
	}
	name := h.name + "c" + head(portID, 4)
	path := newNS(t, name)
	sh(t, "ip", "-n", h.name, "link", "set", dev.PeerIf, "netns", name)
	sh(t, "ip", "-n", name, "link", "set", dev.PeerIf, "name", "eth0")
	for _, a := range dev.IPs {
		args := []string{"-n", name, "addr", "add", a.String(), "dev", "eth0"}
		if a.Addr().Is6() {
			args = append(args, "nodad")
		}
		sh(t, "ip", args...)
	}
	sh(t, "ip", "-n", name, "link", "set", "eth0", "up")
	if dev.Gateway != "" {
		sh(t, "ip", "-n", name, "route", "add", "default", "via", dev.Gateway)
	}
	return &container{name: name, path: path, ip: dev.IPs[0].Addr().String()}
}

// ping reports whether one echo from the namespace gets an answer.
func ping(ns string, target string, extra ...string) bool {
	args := append([]string{"netns", "exec", ns, "busybox", "ping", "-c", "1", "-W", "1"}, extra...)
	args = append(args, target)
	return exec.Command("ip", args...).Run() == nil
}

// serve listens on TCP port in a namespace and answers every connection
// with "<id> <remote address>\n".
func serve(t testing.TB, nsPath string, port int, id string) {
	t.Helper()
	var ln net.Listener
	err := inNetNS(nsPath, func() (err error) {
		ln, err = net.Listen("tcp4", fmt.Sprintf(":%d", port))
		return err
	})
	if err != nil {
		t.Fatalf("listen in %s: %v", nsPath, err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			host, _, _ := net.SplitHostPort(c.RemoteAddr().String())
			fmt.Fprintf(c, "%s %s\n", id, host)
			c.Close()
		}
	}()
}

// dial connects from a namespace and returns the server's line ("" when
// the connection fails).
func dial(nsPath, addr string) string { return dialFrom(nsPath, "", addr) }

// dialFrom is dial from a given source address.
func dialFrom(nsPath, src, addr string) string {
	var conn net.Conn
	d := net.Dialer{Timeout: 1500 * time.Millisecond}
	if src != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
	}
	err := inNetNS(nsPath, func() (err error) {
		conn, err = d.Dial("tcp4", addr)
		return err
	})
	if err != nil {
		return ""
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil && err != io.EOF {
		return ""
	}
	return strings.TrimSpace(line)
}

func newID() string { return uuid.NewString() }

func randMAC() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return fmt.Sprintf("fa:16:3e:%02x:%02x:%02x", b[0], b[1], b[2])
}

// snapshot is what must not change when the same state is applied twice.
func snapshot(t testing.TB, h *testHost) string {
	t.Helper()
	var b strings.Builder
	names := []string{h.dp}
	if h.dp != h.name {
		names = append(names, h.name)
	}
	for _, ns := range names {
		b.WriteString(timers.ReplaceAllString(sh(t, "ip", "-n", ns, "-d", "link", "show"), "${1}"))
		b.WriteString(strings.ReplaceAll(sh(t, "ip", "-n", ns, "addr", "show"), " tentative", ""))
		b.WriteString(sh(t, "ip", "netns", "exec", ns, "nft", "list", "ruleset"))
		for _, l := range strings.Split(sh(t, "ip", "netns", "exec", ns, "bridge", "fdb", "show"), "\n") {
			if strings.Contains(l, "permanent") { // learnt entries come and go
				b.WriteString(l + "\n")
			}
		}
		b.WriteString(sh(t, "ip", "-n", ns, "neigh", "show", "nud", "permanent"))
	}
	return b.String()
}

// timers are the bridge's running timers in `ip -d link`.
var timers = regexp.MustCompile(`(\w+_timer)\s+[0-9.]+`)

func slicesSort(s []string) { sort.Strings(s) }

// diffLines lists the lines only in a or only in b.
func diffLines(a, b string) string {
	count := map[string]int{}
	for _, l := range strings.Split(a, "\n") {
		count[l]++
	}
	for _, l := range strings.Split(b, "\n") {
		count[l]--
	}
	var out []string
	for l, n := range count {
		if n > 0 {
			out = append(out, "- "+l)
		} else if n < 0 {
			out = append(out, "+ "+l)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// serveEcho echoes lines on a TCP port in a namespace, connections kept.
func serveEcho(t testing.TB, nsPath string, port int) {
	t.Helper()
	var ln net.Listener
	if err := inNetNS(nsPath, func() (err error) {
		ln, err = net.Listen("tcp4", fmt.Sprintf(":%d", port))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
}

// dialIn opens a TCP connection from inside a namespace, closed with the
// test.
func dialIn(t testing.TB, nsPath, addr string) net.Conn {
	t.Helper()
	var conn net.Conn
	if err := inNetNS(nsPath, func() (err error) {
		conn, err = net.DialTimeout("tcp4", addr, 2*time.Second)
		return err
	}); err != nil {
		t.Fatalf("dial %s from %s: %v", addr, nsPath, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// echoes reports whether a line sent on conn comes back.
func echoes(conn net.Conn, line string) bool {
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := fmt.Fprintf(conn, "%s\n", line); err != nil {
		return false
	}
	got, err := bufio.NewReader(conn).ReadString('\n')
	return err == nil && strings.TrimSpace(got) == line
}
