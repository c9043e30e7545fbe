package e2e

import (
	"strings"
	"testing"
)

// TestNetworkQuotasClients drives the network quotas with Debian's
// clients: the admin sets a project's limits with `neutron quota-update`,
// the project's member is refused (409 OverQuota) a network and a floating
// IP over them through `openstack`, a container whose port would pass the
// port quota is refused (403, as Zun answers over quota) leaving nothing
// behind, `openstack quota list --detail` shows the usage, and
// `neutron quota-delete` returns the project to the defaults.
func TestNetworkQuotasClients(t *testing.T) {
	requireDocker(t)
	requireTool(t, "openstack")
	requireTool(t, "neutron")
	a := startAIO(t)
	admin := a.openrcEnv()
	a.cli(admin, "openstack", "project", "create", "--domain", "default", "quota-demo")
	a.cli(admin, "openstack", "user", "create", "--domain", "default", "--project", "quota-demo", "--password", "carol-pw-123", "q-carol")
	a.cli(admin, "openstack", "role", "add", "--project", "quota-demo", "--user", "q-carol", "member")
	pid := strings.TrimSpace(a.cli(admin, "openstack", "project", "show", "quota-demo", "-f", "value", "-c", "id"))
	carol := withUser(admin, "q-carol", "carol-pw-123", "quota-demo")

	out := a.cli(admin, "neutron", "quota-update", "--network", "1", "--port", "1", "--floatingip", "1", "--tenant-id", pid)
	if !tableHas(out, "network", "1") || !tableHas(out, "port", "1") || !tableHas(out, "subnet", "100") {
		t.Fatalf("quota-update:\n%s", out)
	}
	// A member cannot raise its own limits.
	if out := a.cliRefused(carol, "neutron", "quota-update", "--network", "50", "--tenant-id", pid); !strings.Contains(out, "update_quota") {
		t.Errorf("member's quota-update:\n%s", out)
	}
	a.cli(carol, "openstack", "network", "create", "q-net")
	a.cli(carol, "openstack", "subnet", "create", "--network", "q-net", "--subnet-range", "192.168.60.0/24", "q-sub")
	if out := a.cliRefused(carol, "openstack", "network", "create", "q-net2"); !strings.Contains(out, "Quota exceeded for resources: ['network']") {
		t.Errorf("network over quota:\n%s", out)
	}
	a.cli(carol, "openstack", "floating", "ip", "create", "public")
	if out := a.cliRefused(carol, "openstack", "floating", "ip", "create", "public"); !strings.Contains(out, "Quota exceeded for resources: ['floatingip']") {
		t.Errorf("floating IP over quota:\n%s", out)
	}
	a.cli(carol, "openstack", "port", "create", "--network", "q-net", "q-port")
	out = a.cliRefused(carol, "openstack", "appcontainer", "run", "--name", "q-box", "--net", "network=q-net", "busybox:1.35", "sleep", "60")
	// The client prints the error's title, which carries the message.
	if !strings.Contains(out, "Quota exceeded for resources: ['port']. (HTTP 403)") {
		t.Errorf("container over the port quota:\n%s", out)
	}
	tok := a.Token("q-carol", "carol-pw-123", "quota-demo")
	st, b := a.doRaw("POST", "/v1/containers", tok, "1.40", map[string]any{"image": "busybox:1.35", "name": "q-box2",
		"nets": []map[string]string{{"network": "q-net"}}})
	if st != 403 || errorDetail(b) != "Quota exceeded for resources: ['port']." {
		t.Errorf("create over the port quota: %d %s", st, b)
	}
	if out := a.cli(carol, "openstack", "appcontainer", "list"); strings.Contains(out, "q-box") {
		t.Errorf("a refused container stayed:\n%s", out)
	}

	var rows []map[string]any
	a.oscJSON(admin, &rows, "quota", "list", "--network", "--detail", "--project", "quota-demo")
	got := map[string][3]float64{}
	for _, r := range rows {
		res, _ := r["Resource"].(string)
		inUse, _ := r["In Use"].(float64)
		reserved, _ := r["Reserved"].(float64)
		limit, _ := r["Limit"].(float64)
		got[res] = [3]float64{inUse, reserved, limit}
	}
	// The floating IP's and the router's own ports are not counted.
	if got["networks"] != [3]float64{1, 0, 1} || got["ports"] != [3]float64{1, 0, 1} || got["floating_ips"] != [3]float64{1, 0, 1} || got["subnets"] != [3]float64{1, 0, 100} {
		t.Fatalf("quota list --detail: %v", rows)
	}

	if out := a.cli(admin, "neutron", "quota-delete", "--tenant-id", pid); !strings.Contains(out, "Deleted quota: "+pid) {
		t.Fatalf("quota-delete:\n%s", out)
	}
	a.cli(carol, "openstack", "network", "create", "q-net2")
}
