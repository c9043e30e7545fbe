package config

import (
	"strings"
	"testing"
)

// TestAgentNetworkSettings: the agent's data plane flags, the all-in-one's
// DevStack-like external bridge, and the refusals.
func TestAgentNetworkSettings(t *testing.T) {
	c, err := Load("zun-compute", []string{"--config", "/dev/null", "--tunnel-ip", "10.1.2.3",
		"--physical-bridge", "public=zun-ex, phys2=br-2", "--docker-plugin-name", "zun-h2"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := c.AgentNetwork
	if n.TunnelIP != "10.1.2.3" || n.DockerPluginName != "zun-h2" || n.ExternalHostCIDR != "" {
		t.Errorf("got %+v", n)
	}
	if m, _ := ParsePhysicalBridges(n.PhysicalBridges); len(m) != 2 || m["public"] != "zun-ex" || m["phys2"] != "br-2" {
		t.Errorf("bridges %v", m)
	}
	aio, err := Load("zun-api", []string{"--config", "/dev/null", "--all-in-one"}, []string{"ZUN_DOCKER_PLUGIN_NAME=zun-e2e"})
	if err != nil {
		t.Fatal(err)
	}
	if a := aio.AgentNetwork; a.PhysicalBridges != "public=zun-ex" || a.ExternalHostCIDR != "172.24.4.1/24" || a.DockerPluginName != "zun-e2e" {
		t.Errorf("all-in-one %+v", a)
	}
	if d, _ := Load("zun-compute", []string{"--config", "/dev/null"}, nil); d.AgentNetwork.DockerPluginName != "zun" || d.AgentNetwork.PhysicalBridges != "" {
		t.Errorf("defaults %+v", d.AgentNetwork)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--tunnel-ip", "h1"}, "tunnel-ip"},
		{[]string{"--external-host-cidr", "172.24.4.1"}, "external-host-cidr"},
		{[]string{"--physical-bridge", "public"}, "physical-bridge"},
		{[]string{"--physical-bridge", "public=a-bridge-name-too-long"}, "physical-bridge"},
		{[]string{"--physical-bridge", "p=a,p=b"}, "twice"},
		{[]string{"--docker-plugin-name", "../x"}, "docker-plugin-name"},
	} {
		if _, err := Load("zun-compute", append([]string{"--config", "/dev/null"}, tc.args...), nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(%v) = %v, want an error about %s", tc.args, err, tc.want)
		}
	}
}
