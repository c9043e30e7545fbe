package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openzun/zun/internal/bus/natsbus"
	"github.com/openzun/zun/internal/rpc"
)

// networkState asks the conductor, over the all-in-one's NATS as an agent
// does, for the network state of host.
func (a *aio) networkState(natsAddr, host string, out any) {
	a.t.Helper()
	pw, err := os.ReadFile(filepath.Join(a.DataDir, "nats-password"))
	if err != nil {
		a.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b, err := natsbus.Connect(ctx, "nats://"+natsAddr, natsbus.Options{User: "zun", Password: strings.TrimSpace(string(pw))}, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	defer b.Close()
	st, err := rpc.ConductorClient{Bus: b}.NetworkState(ctx, host)
	if err != nil {
		a.t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(toJSON(st)), out); err != nil {
		a.t.Fatal(err)
	}
}

// oscJSON runs an openstack command with -f json and decodes its output.
func (a *aio) oscJSON(env []string, out any, args ...string) {
	a.t.Helper()
	raw := a.cli(env, "openstack", append(args, "-f", "json")...)
	if err := json.Unmarshal([]byte(raw), out); err != nil {
		a.t.Fatalf("openstack %s: %v\n%s", strings.Join(args, " "), err, raw)
	}
}

// TestNetworkServiceOpenstackClient drives the network service with Debian's
// python3-openstackclient: networks, subnets, ports with fixed IPs,
// security groups and rules, a router to the all-in-one's external
// network, floating IPs; another project does not see private networks;
// a container run on a network gets an address of its subnet, a port with
// its uuid as device_id, bound to the host whose network_state names it.
func TestNetworkServiceOpenstackClient(t *testing.T) {
	requireDocker(t)
	requireTool(t, "openstack")
	natsAddr := freePort(t)
	a := startAIO(t, "--nats-listen", natsAddr)
	admin := a.openrcEnv()
	for _, p := range []struct{ project, user, password string }{
		{"net-demo", "net-alice", "alice-pw-123"},
		{"net-other", "net-bob", "bob-pw-12345"},
	} {
		a.cli(admin, "openstack", "project", "create", "--domain", "default", p.project)
		a.cli(admin, "openstack", "user", "create", "--domain", "default", "--project", p.project, "--password", p.password, p.user)
		a.cli(admin, "openstack", "role", "add", "--project", p.project, "--user", p.user, "member")
	}
	alice := withUser(admin, "net-alice", "alice-pw-123", "net-demo")
	bob := withUser(admin, "net-bob", "bob-pw-12345", "net-other")

	var net map[string]any
	a.oscJSON(alice, &net, "network", "create", "alice-net")
	var sub map[string]any
	a.oscJSON(alice, &sub, "subnet", "create", "--network", "alice-net", "--subnet-range", "192.168.50.0/24", "alice-sub")
	if sub["gateway_ip"] != "192.168.50.1" || sub["cidr"] != "192.168.50.0/24" {
		t.Fatalf("subnet %v", sub)
	}
	// Bad input: a malformed CIDR and an overlapping subnet are refused.
	if out := a.cliRefused(alice, "openstack", "subnet", "create", "--network", "alice-net", "--subnet-range", "192.168.50.0/33", "bad"); !strings.Contains(out, "BadRequest") && !hasStatus(out, 400) {
		t.Errorf("malformed cidr accepted:\n%s", out)
	}
	if out := a.cliRefused(alice, "openstack", "subnet", "create", "--network", "alice-net", "--subnet-range", "192.168.50.128/25", "overlap"); !strings.Contains(out, "overlaps") {
		t.Errorf("overlapping subnet accepted:\n%s", out)
	}
	var port map[string]any
	a.oscJSON(alice, &port, "port", "create", "--network", "alice-net", "--fixed-ip", "subnet=alice-sub,ip-address=192.168.50.77", "alice-port")
	if !strings.Contains(toJSON(port["fixed_ips"]), "192.168.50.77") {
		t.Fatalf("port %v", port)
	}
	if out := a.cliRefused(alice, "openstack", "port", "create", "--network", "alice-net", "--fixed-ip", "subnet=alice-sub,ip-address=192.168.50.77", "dup"); !strings.Contains(out, "in use") {
		t.Errorf("taken address accepted:\n%s", out)
	}
	var sg map[string]any
	a.oscJSON(alice, &sg, "security", "group", "create", "web")
	var rule map[string]any
	a.oscJSON(alice, &rule, "security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "80", "web")
	if rule["port_range_min"] != float64(80) || rule["direction"] != "ingress" {
		t.Fatalf("rule %v", rule)
	}
	var router map[string]any
	a.oscJSON(alice, &router, "router", "create", "alice-router")
	a.cli(alice, "openstack", "router", "set", "--external-gateway", "public", "alice-router")
	a.cli(alice, "openstack", "router", "add", "subnet", "alice-router", "alice-sub")
	a.oscJSON(alice, &router, "router", "show", "alice-router")
	if !strings.Contains(toJSON(router["external_gateway_info"]), "172.24.4.") {
		t.Fatalf("router gateway %v", router["external_gateway_info"])
	}
	var fip map[string]any
	a.oscJSON(alice, &fip, "floating", "ip", "create", "public")
	addr, _ := fip["floating_ip_address"].(string)
	if !strings.HasPrefix(addr, "172.24.4.") {
		t.Fatalf("floating ip %v", fip)
	}
	a.cli(alice, "openstack", "floating", "ip", "set", "--port", "alice-port", addr)
	a.oscJSON(alice, &fip, "floating", "ip", "show", addr)
	if fip["fixed_ip_address"] != "192.168.50.77" {
		t.Fatalf("associated floating ip %v", fip)
	}
	// Bob neither sees nor uses Alice's network, port or floating IP.
	if out := a.cli(bob, "openstack", "network", "list"); strings.Contains(out, "alice-net") || !strings.Contains(out, "public") {
		t.Errorf("bob's network list:\n%s", out)
	}
	if out := a.cliRefused(bob, "openstack", "floating", "ip", "set", "--port", port["id"].(string), fip["id"].(string)); !strings.Contains(strings.ToLower(out), "not found") && !strings.Contains(out, "No FloatingIP") && !strings.Contains(out, "could not be found") {
		t.Errorf("bob associated alice's floating ip:\n%s", out)
	}
	a.cli(alice, "openstack", "floating", "ip", "unset", "--port", addr)
	a.oscJSON(alice, &fip, "floating", "ip", "show", addr)
	if fip["port_id"] != nil {
		t.Fatalf("disassociated floating ip %v", fip)
	}

	// A container on the network.
	out := a.cli(alice, "openstack", "appcontainer", "run", "--name", "net-box", "--net", "network=alice-net,v4-fixed-ip=192.168.50.20",
		"busybox:1.35", "sleep", "600")
	id := uuidFromTable(t, out)
	waitFor(t, 60*time.Second, func() bool {
		return strings.Contains(a.cli(alice, "openstack", "appcontainer", "show", id), "192.168.50.20")
	})
	var ports []map[string]any
	a.oscJSON(admin, &ports, "port", "list", "--device-id", id, "--long")
	if len(ports) != 1 {
		t.Fatalf("ports of the container: %v", ports)
	}
	var cport map[string]any
	a.oscJSON(admin, &cport, "port", "show", ports[0]["ID"].(string))
	host, _ := cport["binding_host_id"].(string)
	if host == "" || cport["device_owner"] != "compute:zun" {
		t.Fatalf("container port %v", cport)
	}
	var st struct {
		Ports []struct {
			ID  string   `json:"id"`
			IPs []string `json:"ips"`
		} `json:"ports"`
		Routers []struct {
			ID string `json:"id"`
		} `json:"routers"`
	}
	a.networkState(natsAddr, host, &st)
	if !strings.Contains(toJSON(st.Ports), "192.168.50.20") || len(st.Routers) != 1 {
		t.Fatalf("network_state of %s: %+v", host, st)
	}
	out = a.cli(alice, "openstack", "appcontainer", "delete", "--stop", id)
	if strings.Contains(out, "failed") {
		t.Fatalf("delete: %s", out)
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) && !hasStatus(a.cliRefused(alice, "openstack", "appcontainer", "show", id), 404) {
		time.Sleep(time.Second)
	}
	a.WaitGone(id, 5*time.Second)
	waitFor(t, 20*time.Second, func() bool {
		return !strings.Contains(a.cli(admin, "openstack", "port", "list", "--device-id", id), "compute:zun")
	})
	// The address is free again.
	a.cli(alice, "openstack", "port", "create", "--network", "alice-net", "--fixed-ip", "subnet=alice-sub,ip-address=192.168.50.20", "again")
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
