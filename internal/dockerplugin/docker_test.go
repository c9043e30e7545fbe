package dockerplugin

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/testutil/needs"
)

func needDocker(t *testing.T) { t.Helper(); needs.Docker(t) }

// startPlugin registers a plugin under a unique name in Docker's plugin
// directory, so it never collides with a running all-in-one's "zun".
func startPlugin(t *testing.T, st StateSource, plane DataPlane) *Plugin {
	t.Helper()
	p := New(Config{Name: "zuntest-" + randHex(t, 4)}, st, plane, nil, nil)
	if err := p.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// dockerNetwork creates the engine network of a Zun network as the agent
// does, removed at cleanup.
func dockerNetwork(t *testing.T, p *Plugin, n model.NetworkSpec) {
	t.Helper()
	engineNetwork(t, rootDocker, p, n)
}

// docker runs the CLI against one engine.
type docker func(args ...string) (string, error)

func rootDocker(args ...string) (string, error) {
	out, err := exec.Command("docker", args...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func engineNetwork(t *testing.T, docker docker, p *Plugin, n model.NetworkSpec) {
	t.Helper()
	s := n.Subnets[0]
	out, err := docker("network", "create", "-d", p.Name(), "--ipam-driver", p.Name(),
		"--subnet", s.CIDR, "--gateway", s.GatewayIP, "-o", OptNetworkID+"="+n.ID, "--ipam-opt", OptNetworkID+"="+n.ID, n.ID)
	if err != nil {
		t.Fatalf("docker network create: %v: %s", err, out)
	}
	t.Cleanup(func() { _, _ = docker("network", "rm", n.ID) })
}

func dockerRun(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return engineRun(t, rootDocker, args...)
}

func engineRun(t *testing.T, docker docker, args ...string) (string, error) {
	t.Helper()
	name := "zun-plugintest-" + randHex(t, 4)
	out, err := docker(append([]string{"run", "-d", "--name", name}, append(args, "busybox:1.35", "sleep", "300")...)...)
	t.Cleanup(func() { _, _ = docker("rm", "-f", name) })
	return name, annotate(out, err)
}

func annotate(out string, err error) error {
	if err != nil {
		return &cmdError{out: out, err: err}
	}
	return nil
}

type cmdError struct {
	out string
	err error
}

func (e *cmdError) Error() string { return e.err.Error() + ": " + e.out }

// TestDockerEngine runs busybox containers on networks of the plugin: the
// engine gives each the port's address and MAC, refuses an address that
// is no port's, and the plugin unplugs the port when the container goes.
func TestDockerEngine(t *testing.T) {
	needDocker(t)
	ctx := context.Background()
	netID := randHex(t, 16)
	p1 := model.PortSpec{ID: randHex(t, 16), NetworkID: netID, MAC: "fa:16:3e:10:00:0a", IPs: []string{"10.201.0.10"}}
	p2 := model.PortSpec{ID: randHex(t, 16), NetworkID: netID, MAC: "fa:16:3e:10:00:0b", IPs: []string{"10.201.0.11"}}
	st := &memState{}
	st.next = testState(netID, "10.201.0.0/24", "10.201.0.1", p1, p2)
	st.cur = st.next
	plane := newKernelPlane(t, st)
	p := startPlugin(t, st, plane)
	dockerNetwork(t, p, st.cur.Networks[0])

	a, err := dockerRun(t, "--network", netID, "--ip", "10.201.0.10")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := run(t, "docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{.MacAddress}} {{.Gateway}}{{end}}", a)
	if got != "10.201.0.10 fa:16:3e:10:00:0a 10.201.0.1" {
		t.Fatalf("inspect: %q", got)
	}
	inside, _ := run(t, "docker", "exec", a, "ip", "-o", "addr", "show", "eth0")
	if !strings.Contains(inside, "10.201.0.10/24") {
		t.Fatalf("eth0 in the container: %s", inside)
	}
	b, err := dockerRun(t, "--network", netID, "--ip", "10.201.0.11")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, "docker", "exec", b, "ping", "-c", "1", "-W", "2", "10.201.0.10"); err != nil {
		t.Fatalf("ping over the network: %v %s", err, out)
	}
	if _, err := dockerRun(t, "--network", netID, "--ip", "10.201.0.12"); err == nil || !strings.Contains(err.Error(), "no port of network") {
		t.Fatalf("address of no port: %v", err)
	}
	if _, err := dockerRun(t, "--network", netID); err == nil || !strings.Contains(err.Error(), "never picks") {
		t.Fatalf("no address: %v", err)
	}
	if out, err := run(t, "docker", "rm", "-f", a); err != nil {
		t.Fatal(out)
	}
	if plane.exists(ctx, p1.ID) {
		t.Fatal("port's veth left after the container was removed")
	}
}
