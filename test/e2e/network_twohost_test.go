package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openzun/zun/internal/testutil/hosttest"
)

// hostAgent is a zun-compute running inside a second host's namespace.
type hostAgent struct {
	host *hosttest.Host
	name string
	args []string
	proc *proc
}

// startHostAgent starts a compute agent on h, joined to the all-in-one's
// NATS at natsPort on h's link to the root namespace.
func startHostAgent(t testing.TB, a *aio, h *hosttest.Host, natsPort string) *hostAgent {
	t.Helper()
	pw, err := os.ReadFile(filepath.Join(a.DataDir, "nats-password"))
	if err != nil {
		t.Fatal(err)
	}
	name := uniqueHost()
	ha := &hostAgent{host: h, name: name, args: []string{"--nats-url", "nats://" + h.RootIP + ":" + natsPort,
		"--nats-user", "zun", "--nats-password", strings.TrimSpace(string(pw)),
		"--host", name, "--docker-host", h.DockerHost, "--docker-plugin-name", "zun-" + name,
		"--sync-interval", "3s", "--heartbeat-interval", "1s", "--data-dir", filepath.Join(h.Dir, "agent")}}
	ha.start(t)
	return ha
}

func (ha *hostAgent) start(t testing.TB) {
	t.Helper()
	ha.proc = startProcWith(t, []string{"nsenter", "--net=" + ha.host.NetNS(), "--"}, "zun-compute", ha.args...)
}

// TestTwoHostVXLAN: containers of one network on two hosts (each a
// namespace with its own engine and agent) ping each other over VXLAN
// with the forwarding entries the control plane computed; a security
// group rule change reaches running containers; an agent killed with
// SIGKILL and restarted leaves its containers connected and applies the
// next rule change.
func TestTwoHostVXLAN(t *testing.T) {
	requireDocker(t)
	hosttest.Require(t)
	h1 := hosttest.Start(t, hosttest.Options{})
	h2 := hosttest.Start(t, hosttest.Options{})
	natsPort := strings.TrimPrefix(freePort(t), "127.0.0.1:")
	a := startAIO(t, "--embedded-compute=false", "--nats-listen", "0.0.0.0:"+natsPort)
	ag1 := startHostAgent(t, a, h1, natsPort)
	ag2 := startHostAgent(t, a, h2, natsPort)
	waitFor(t, 60*time.Second, func() bool {
		var l struct{ Hosts []struct{ Hostname string } }
		a.Do("GET", "/v1/hosts", nil, 200, &l)
		return len(l.Hosts) == 2
	})

	var nw struct{ Network struct{ ID string } }
	a.Do("POST", "/network/v2.0/networks", map[string]any{"network": map[string]any{"name": "span"}}, 201, &nw)
	a.Do("POST", "/network/v2.0/subnets", map[string]any{"subnet": map[string]any{"network_id": nw.Network.ID,
		"cidr": "192.168.77.0/24", "ip_version": 4}}, 201, nil)
	var sg struct {
		SecurityGroup struct{ ID string } `json:"security_group"`
	}
	a.Do("POST", "/network/v2.0/security-groups", map[string]any{"security_group": map[string]any{"name": "pingable"}}, 201, &sg)
	var rule struct {
		Rule struct{ ID string } `json:"security_group_rule"`
	}
	a.Do("POST", "/network/v2.0/security-group-rules", map[string]any{"security_group_rule": map[string]any{
		"security_group_id": sg.SecurityGroup.ID, "direction": "ingress", "protocol": "icmp", "remote_ip_prefix": "0.0.0.0/0"}}, 201, &rule)

	run := func(host string) netContainer {
		return a.runOn(a.admin, map[string]any{"host": host, "nets": []map[string]any{{"network": nw.Network.ID}},
			"security_groups": []string{sg.SecurityGroup.ID}})
	}
	c1, c2 := run(ag1.name), run(ag2.name)
	ip1, ip2 := c1.ipOf(t), c2.ipOf(t)
	if !a.pings(c1.UUID, ip2, true) || !a.pings(c2.UUID, ip1, true) {
		t.Fatalf("containers on two hosts do not reach each other over VXLAN (%s, %s)", ip1, ip2)
	}
	if out, _ := h1.Docker("ps", "-q"); out == "" {
		t.Fatal("no container on host 1")
	}

	// The rule goes: ping stops on the running containers.
	a.Do("DELETE", "/network/v2.0/security-group-rules/"+rule.Rule.ID, nil, 204, nil)
	waitFor(t, 30*time.Second, func() bool { return !a.pings(c1.UUID, ip2, false) })

	// Agent 2 is killed and restarted: its container stays connected once
	// the rule is back, applied by the restarted agent.
	ag2.proc.kill9()
	ag2.start(t)
	a.Do("POST", "/network/v2.0/security-group-rules", map[string]any{"security_group_rule": map[string]any{
		"security_group_id": sg.SecurityGroup.ID, "direction": "ingress", "protocol": "icmp", "remote_ip_prefix": "0.0.0.0/0"}}, 201, &rule)
	waitFor(t, 60*time.Second, func() bool { return a.pings(c1.UUID, ip2, true) })
	if !a.pings(c2.UUID, ip1, true) {
		t.Errorf("container of the restarted agent's host lost its network")
	}
}
