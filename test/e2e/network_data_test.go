package e2e

import (
	"encoding/json"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// netContainer is a container with its addresses (network id -> list).
type netContainer struct {
	UUID      string `json:"uuid"`
	Status    string `json:"status"`
	Addresses map[string][]struct {
		Addr string `json:"addr"`
		Port string `json:"port"`
	} `json:"addresses"`
}

// ipOf is the container's first address.
func (c netContainer) ipOf(t testing.TB) string {
	t.Helper()
	for _, l := range c.Addresses {
		if len(l) > 0 {
			return l[0].Addr
		}
	}
	t.Fatalf("container %s has no address", c.UUID)
	return ""
}

// runOn creates and starts a container as token's user and waits until it
// runs.
func (a *aio) runOn(token string, body map[string]any) netContainer {
	a.t.Helper()
	if body["image"] == nil {
		body["image"] = "busybox:1.35"
	}
	if body["command"] == nil {
		body["command"] = []string{"sleep", "600"}
	}
	var c netContainer
	a.DoAs(token, "POST", "/v1/containers?run=true", body, 202, &c)
	// Removed while the agent's plugin still answers the engine.
	a.t.Cleanup(func() { _ = exec.Command("docker", "rm", "-f", "zun-"+c.UUID).Run() })
	got := a.WaitStatus(c.UUID, 90*time.Second, "Running", "Error")
	if got.Status != "Running" {
		a.t.Fatalf("container %s: %s %s", c.UUID, got.Status, deref(got.StatusReason))
	}
	a.DoAs(token, "GET", "/v1/containers/"+c.UUID, nil, 200, &c)
	return c
}

// execIn runs cmd in the container (as the admin) and returns its exit
// code and output; a loaded machine may miss the exec timeout, so a 409 is
// retried.
func (a *aio) execIn(uuid, cmd string) (int, string) {
	a.t.Helper()
	var res struct {
		Output   string `json:"output"`
		ExitCode int    `json:"exit_code"`
	}
	for i := 0; ; i++ {
		st, b := a.doRaw("POST", "/v1/containers/"+uuid+"/execute?command="+urlq(cmd), a.admin, "1.40", nil)
		if st == 200 {
			_ = json.Unmarshal(b, &res)
			return res.ExitCode, res.Output
		}
		if st != 409 || i == 3 {
			a.t.Fatalf("exec %q: %d %s", cmd, st, b)
		}
	}
}

// pings reports whether from reaches ip, trying a few times (a new port's
// data plane may still be converging).
func (a *aio) pings(from, ip string, want bool) bool {
	a.t.Helper()
	tries := 5
	if !want {
		tries = 1
	}
	for range tries {
		code, _ := a.execIn(from, "ping -c 1 -W 2 "+ip)
		if (code == 0) == want {
			return want
		}
		time.Sleep(time.Second)
	}
	return !want
}

// tcpOpen reports whether addr accepts a TCP connection from this host.
func tcpOpen(addr string, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err == nil {
			c.Close()
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// TestTenantDataPlane is issue 4's data plane on the all-in-one, through
// the API: two containers of a project on its default network ("get me a
// network") ping each other; another project's container reaches neither;
// an exposed port of a container behind a floating IP (openstack floating
// ip create public, openstack appcontainer add floating ip) answers the
// host on that port only; deleting the containers frees their ports.
func TestTenantDataPlane(t *testing.T) {
	requireDocker(t)
	requireTool(t, "openstack")
	a := startAIO(t)
	alice := a.createMember("dp-demo", "dp-alice", "alice-secret-1")
	bob := a.createMember("dp-other", "dp-bob", "bob-secret-12")

	c1 := a.runOn(alice, map[string]any{"name": "a1"})
	c2 := a.runOn(alice, map[string]any{"name": "a2"})
	ip1, ip2 := c1.ipOf(t), c2.ipOf(t)
	if !strings.HasPrefix(ip1, "10.0.0.") || !strings.HasPrefix(ip2, "10.0.0.") {
		t.Fatalf("default network addresses %s %s", ip1, ip2)
	}
	if !a.pings(c1.UUID, ip2, true) || !a.pings(c2.UUID, ip1, true) {
		t.Fatalf("containers of one project do not reach each other (%s, %s)", ip1, ip2)
	}
	if code, out := a.execIn(c1.UUID, "ip -o addr show eth0"); code != 0 || !strings.Contains(out, ip1+"/24") {
		t.Errorf("eth0 of a1: %d %s", code, out)
	}

	// network_attach adds an interface on another network; network_detach
	// takes it away.
	var second struct{ Network struct{ ID string } }
	a.DoAs(alice, "POST", "/network/v2.0/networks", map[string]any{"network": map[string]any{"name": "second"}}, 201, &second)
	a.DoAs(alice, "POST", "/network/v2.0/subnets", map[string]any{"subnet": map[string]any{"network_id": second.Network.ID,
		"cidr": "192.168.88.0/24", "ip_version": 4}}, 201, nil)
	a.DoAs(alice, "POST", "/v1/containers/"+c1.UUID+"/network_attach?network="+second.Network.ID+"&fixed_ip=192.168.88.40", nil, 202, nil)
	a.WaitStatus(c1.UUID, 60*time.Second, "Running")
	if code, out := a.execIn(c1.UUID, "ip -o addr"); code != 0 || !strings.Contains(out, "192.168.88.40/24") {
		t.Fatalf("attached interface not in the container: %d %s", code, out)
	}
	a.DoAs(alice, "POST", "/v1/containers/"+c1.UUID+"/network_detach?network="+second.Network.ID, nil, 202, nil)
	a.WaitStatus(c1.UUID, 60*time.Second, "Running")
	if code, out := a.execIn(c1.UUID, "ip -o addr"); code != 0 || strings.Contains(out, "192.168.88.40") {
		t.Fatalf("detached interface still in the container: %d %s", code, out)
	}

	b1 := a.runOn(bob, map[string]any{"name": "b1"})
	target := ip2
	if b1.ipOf(t) == ip2 { // the same address in bob's own "private"
		target = ip1
	}
	if a.pings(b1.UUID, target, false) {
		t.Errorf("another project's container reached %s", target)
	}

	// An exposed port behind a floating IP, from the host.
	web := a.runOn(alice, map[string]any{"name": "web", "exposed_ports": map[string]any{"80/tcp": map[string]any{}},
		"command": []string{"sh", "-c", "echo hi > /tmp/index.html; httpd -p 80 -h /tmp; httpd -p 81 -h /tmp; sleep 600"}})
	// The floating IP through Debian's openstack client, as a user would.
	aliceEnv := withUser(a.openrcEnv(), "dp-alice", "alice-secret-1", "dp-demo")
	var fip struct{ FloatingIP struct{ Address string } }
	fip.FloatingIP.Address = strings.TrimSpace(a.cli(aliceEnv, "openstack", "floating", "ip", "create", "public", "-f", "value", "-c", "floating_ip_address"))
	if net.ParseIP(fip.FloatingIP.Address) == nil {
		t.Fatalf("floating ip create: %q", fip.FloatingIP.Address)
	}
	a.cli(aliceEnv, "openstack", "appcontainer", "add", "floating", "ip", web.UUID, fip.FloatingIP.Address)
	if !tcpOpen(net.JoinHostPort(fip.FloatingIP.Address, "80"), 30*time.Second) {
		t.Fatalf("exposed port 80 of the floating IP %s does not answer the host", fip.FloatingIP.Address)
	}
	if tcpOpen(net.JoinHostPort(fip.FloatingIP.Address, "81"), 3*time.Second) {
		t.Errorf("port 81, not exposed, answers on the floating IP")
	}

	for _, c := range []netContainer{c1, c2, web, b1} {
		a.Do("DELETE", "/v1/containers/"+c.UUID+"?force=true", nil, 204, nil)
	}
	for _, c := range []netContainer{c1, c2, web, b1} {
		a.WaitGone(c.UUID, 60*time.Second)
		waitFor(t, 20*time.Second, func() bool {
			var ports struct{ Ports []any }
			a.Do("GET", "/network/v2.0/ports?device_id="+c.UUID, nil, 200, &ports)
			return len(ports.Ports) == 0
		})
	}
}

// TestCapsuleOnTenantNetwork: a capsule's sandbox gets a port of the
// project's default network; a container of the project reaches the
// capsule's web member at the sandbox's address.
func TestCapsuleOnTenantNetwork(t *testing.T) {
	requireDocker(t)
	a := startAIO(t)
	var created capsule
	st, body := a.doRaw("POST", "/v1/capsules/", a.admin, "1.40", map[string]any{"template": webTemplate("net-web")})
	if st != 202 {
		t.Fatalf("create: %d %s", st, body)
	}
	mustJSON(t, body, &created)
	t.Cleanup(func() { _ = exec.Command("docker", "rm", "-f", "zun-"+created.UUID).Run() })
	c := a.WaitCapsule(created.UUID, 120*time.Second, "Running", "Error")
	if c.Status != "Running" {
		t.Fatalf("capsule status %s: %s", c.Status, deref(c.StatusReason))
	}
	ip := docker(t, "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", "zun-"+created.UUID)
	if !strings.HasPrefix(ip, "10.0.0.") {
		t.Fatalf("sandbox address %q", ip)
	}
	box := a.runOn(a.admin, map[string]any{"name": "client"})
	var out string
	for range 10 {
		var code int
		if code, out = a.execIn(box.UUID, "wget -q -O - http://"+ip+":8080/index.html"); code == 0 {
			break
		}
		time.Sleep(time.Second)
	}
	if !strings.Contains(out, "hello-from-init") {
		t.Fatalf("capsule's web member at %s: %q", ip, out)
	}
	a.Do("DELETE", "/v1/containers/"+box.UUID+"?force=true", nil, 204, nil)
	a.Do("DELETE", "/v1/capsules/"+created.UUID, nil, 204, nil)
	a.WaitCapsuleGone(created.UUID, 60*time.Second)
	a.WaitGone(box.UUID, 60*time.Second)
}
