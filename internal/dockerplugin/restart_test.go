package dockerplugin

import (
	"context"
	"crypto/rand"
	"math/big"
	"testing"
	"time"

	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/testutil/hosttest"
)

// engineNamer resolves network names with the engine's CLI, as the
// agent's Docker driver does with its client.
type engineNamer struct{ docker docker }

func (e engineNamer) NetworkName(_ context.Context, id string) (string, error) {
	return e.docker("network", "inspect", "-f", "{{.Name}}", id)
}

// TestRestarts: a plugin restarted (an agent restarted: no memory of the
// engine's networks) binds a new container on an existing network, and
// the running one keeps its connectivity; after the engine restarts, a
// container with a restart policy comes back on its port through the
// re-discovered plugin.
func TestRestarts(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{})
	ctx := context.Background()
	plane := newPlane(t, h)
	st := &appliedState{plane: plane}
	netA := randHex(t, 16)
	vni, _ := rand.Int(rand.Reader, big.NewInt(1<<23))
	ports := make([]model.PortSpec, 3)
	for i := range ports {
		ports[i] = model.PortSpec{ID: randHex(t, 16), NetworkID: netA, ProjectID: "p",
			MAC: "fa:16:3e:30:00:0" + string(rune('a'+i)), IPs: []string{"10.203.0.1" + string(rune('0'+i))}}
	}
	st.next = model.HostNetworkState{Host: "h", Revision: 1, Ports: ports,
		Networks: []model.NetworkSpec{{ID: netA, ProjectID: "p", Type: model.NetworkTypeVXLAN, SegmentationID: int(vni.Int64()) + 1, MTU: 1450,
			Subnets: []model.SubnetSpec{{ID: "s", CIDR: "10.203.0.0/24", IPVersion: 4, GatewayIP: "10.203.0.1"}}}}}
	if _, err := st.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	name := "zuntest-" + randHex(t, 4)
	p := New(Config{Name: name}, st, netplanePorts{plane}, engineNamer{h.Docker}, nil)
	if err := p.Listen(); err != nil {
		t.Fatal(err)
	}
	// Closed after the engine's containers and networks are gone (the
	// engine waits for an absent plugin).
	t.Cleanup(func() { _ = p.Close() })
	engineNetwork(t, h.Docker, p, st.cur.Networks[0])
	c0, err := engineRun(t, h.Docker, "--restart", "always", "--network", netA, "--ip", "10.203.0.10")
	if err != nil {
		t.Fatal(err)
	}

	// The agent restarts: a new plugin on the same socket, empty memory.
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	p = New(Config{Name: name}, st, netplanePorts{plane}, engineNamer{h.Docker}, nil)
	if err := p.Listen(); err != nil {
		t.Fatal(err)
	}
	c1, err := engineRun(t, h.Docker, "--network", netA, "--ip", "10.203.0.11")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := h.Docker("exec", c1, "ping", "-c", "1", "-W", "2", "10.203.0.10"); err != nil {
		t.Fatalf("new container -> old one after the plugin restarted: %v %s", err, out)
	}

	h.RestartEngine(t)
	var out string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		out, _ = h.Docker("inspect", "-f", "{{.State.Running}} {{range .NetworkSettings.Networks}}{{.IPAddress}} {{.MacAddress}}{{end}}", c0)
		if out == "true 10.203.0.10 "+ports[0].MAC {
			break
		}
	}
	if out != "true 10.203.0.10 "+ports[0].MAC {
		t.Fatalf("container after the engine restarted: %q", out)
	}
	c2, err := engineRun(t, h.Docker, "--network", netA, "--ip", "10.203.0.12")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := h.Docker("exec", c2, "ping", "-c", "1", "-W", "2", "10.203.0.10"); err != nil {
		t.Fatalf("ping the restarted container: %v %s", err, out)
	}
}
