package hosttest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"github.com/openzun/zun/internal/testutil/needs"
	"math/big"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/openzun/zun/internal/testutil/enginetest"
)

// Host is a network namespace with its own Docker engine.
type Host struct {
	// Name is the namespace's name (/run/netns/<Name>).
	Name string
	// IP is the namespace's address on the link; RootIP the root
	// namespace's end (a /24 of 10.250.0.0/16 chosen at random).
	IP, RootIP string
	// DockerHost is the engine's address (unix://...).
	DockerHost string
	// Dir holds the engine's data, its log and the namespace's files.
	Dir string

	rootIf string
	engine *enginetest.Engine
}

// Options of Start.
type Options struct {
	// Images are loaded from the root engine into the host's (default
	// busybox:1.35).
	Images []string
}

// Require needs what a second engine takes (root, dockerd, ip, nsenter
// and the machine engine): skipped without them, a failure under CI.
func Require(t testing.TB) {
	t.Helper()
	needs.Binaries(t, "dockerd", "docker", "ip", "nsenter")
	needs.Docker(t)
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Start creates the namespace, its link and its engine; everything is
// removed at the end of the test.
func Start(t testing.TB, opts Options) *Host {
	t.Helper()
	Require(t)
	if len(opts.Images) == 0 {
		opts.Images = []string{"busybox:1.35"}
	}
	id := randHex(3)
	octet := freeOctet(t)
	// Unix socket paths are limited to 108 bytes: keep Dir short.
	dir, err := os.MkdirTemp("", "zh-")
	if err != nil {
		t.Fatal(err)
	}
	h := &Host{Name: "zh-" + id, IP: fmt.Sprintf("10.250.%d.2", octet), RootIP: fmt.Sprintf("10.250.%d.1", octet),
		Dir: dir, rootIf: "zh-" + id + "r"}
	t.Cleanup(func() { h.stop(t) })
	peer := "zh-" + id + "p"
	for _, args := range [][]string{
		{"netns", "add", h.Name},
		{"link", "add", h.rootIf, "type", "veth", "peer", "name", peer},
		{"link", "set", peer, "netns", h.Name},
		{"addr", "add", h.RootIP + "/24", "dev", h.rootIf},
		{"link", "set", h.rootIf, "up"},
		{"-n", h.Name, "addr", "add", h.IP + "/24", "dev", peer},
		{"-n", h.Name, "link", "set", peer, "up"},
		{"-n", h.Name, "link", "set", "lo", "up"},
		{"-n", h.Name, "route", "add", "default", "via", h.RootIP},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v: %s", args, err, out)
		}
	}
	h.allowForward(t)
	h.engine = enginetest.Start(t, enginetest.Options{NetNS: h.Name, NoBridge: true, ContainerdNamespace: h.Name})
	h.DockerHost = h.engine.Host
	for _, img := range opts.Images {
		h.LoadImage(t, img)
	}
	return h
}

// freeOctet picks a 10.250.X.0/24 no route of this machine uses yet.
func freeOctet(t testing.TB) int64 {
	for range 50 {
		n, _ := rand.Int(rand.Reader, big.NewInt(250))
		out, err := exec.Command("ip", "route", "show", fmt.Sprintf("10.250.%d.0/24", n.Int64()+1)).Output()
		if err == nil && len(strings.TrimSpace(string(out))) == 0 {
			return n.Int64() + 1
		}
	}
	t.Fatal("hosttest: no free 10.250.X.0/24")
	return 0
}

// RestartEngine stops and starts the host's dockerd; its containers stay
// (restart policies apply).
func (h *Host) RestartEngine(t testing.TB) {
	t.Helper()
	h.engine.Restart()
}

// allowForward lets the root namespace route between hosts (VXLAN from
// one host to another) past Docker's FORWARD policy DROP, through
// DOCKER-USER, the chain Docker leaves to its users; the rules name this
// host's link only and are removed with it.
func (h *Host) allowForward(t testing.TB) {
	if exec.Command("iptables", "-w", "-n", "-L", "DOCKER-USER").Run() != nil {
		return
	}
	for _, dir := range []string{"-i", "-o"} {
		rule := []string{"DOCKER-USER", dir, h.rootIf, "-j", "ACCEPT"}
		if out, err := exec.Command("iptables", append([]string{"-w", "-I"}, rule...)...).CombinedOutput(); err != nil {
			t.Fatalf("iptables %v: %v: %s", rule, err, out)
		}
		t.Cleanup(func() { _ = exec.Command("iptables", append([]string{"-w", "-D"}, rule...)...).Run() })
	}
}

// LoadImage copies image from the root engine.
func (h *Host) LoadImage(t testing.TB, image string) {
	t.Helper()
	h.engine.CopyImage(image)
}

// NetNS is the namespace's path, for nsenter --net.
func (h *Host) NetNS() string { return "/run/netns/" + h.Name }

// Command runs name inside the host's network namespace.
func (h *Host) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "nsenter", append([]string{"--net=" + h.NetNS(), "--", name}, args...)...)
}

// Docker runs the docker CLI against the host's engine.
func (h *Host) Docker(args ...string) (string, error) { return h.engine.Try(args...) }

// stop removes the link and the namespace; the engine (registered later,
// so cleaned up first) is gone by then.
func (h *Host) stop(t testing.TB) {
	_ = exec.Command("ip", "link", "del", h.rootIf).Run()
	_ = exec.Command("ip", "netns", "del", h.Name).Run()
	// The engine's data root may hold overlay mounts until it exits.
	if err := os.RemoveAll(h.Dir); err != nil {
		t.Logf("hosttest: leaving %s: %v", h.Dir, err)
	}
}
