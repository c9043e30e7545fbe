package dockerplugin

import (
	"context"
	"crypto/rand"
	"math/big"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/netplane"
	"github.com/openzun/zun/internal/testutil/hosttest"
)

// appliedState is a StateSource that applies each refresh with netplane,
// as the agent's network manager does.
type appliedState struct {
	memState
	plane *netplane.Plane
}

func (s *appliedState) Refresh(ctx context.Context) (model.HostNetworkState, error) {
	st, _ := s.memState.Refresh(ctx)
	return st, s.plane.Apply(ctx, st)
}

type netplanePorts struct{ p *netplane.Plane }

func (n netplanePorts) EnsurePort(ctx context.Context, id string) (string, error) {
	d, err := n.p.EnsurePort(ctx, id)
	return d.PeerIf, err
}

func (n netplanePorts) ReleasePort(ctx context.Context, id string) error {
	return n.p.ReleasePort(ctx, id)
}

// newPlane opens a data plane for host h as the agent does: its own
// namespace for bridges and filters, port peers made in the engine's.
func newPlane(t *testing.T, h *hosttest.Host) *netplane.Plane {
	t.Helper()
	name := "zdp-test-" + randHex(t, 4)
	dp, err := netplane.NamedNamespace(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	plane, err := netplane.New(netplane.Config{NetNS: dp, HostNetNS: h.NetNS(), TunnelIP: h.IP,
		RouterNSPrefix: "zrt-" + randHex(t, 3) + "-"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(plane.Close)
	return plane
}

// TestDockerEngineNetplane runs containers through the plugin with the
// agent's data plane, on a host of their own (a namespace with its own
// engine, so no other test's data plane interferes): two on one network
// ping each other; one on another network with the same CIDR (another
// project's "private") reaches neither.
func TestDockerEngineNetplane(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{})
	ctx := context.Background()
	plane := newPlane(t, h)
	st := &appliedState{plane: plane}
	netA, netB := randHex(t, 16), randHex(t, 16)
	port := func(net, mac, ip string) model.PortSpec {
		return model.PortSpec{ID: randHex(t, 16), NetworkID: net, ProjectID: "p", MAC: mac, IPs: []string{ip}}
	}
	a1 := port(netA, "fa:16:3e:20:00:0a", "10.202.0.10")
	a2 := port(netA, "fa:16:3e:20:00:0b", "10.202.0.11")
	b1 := port(netB, "fa:16:3e:20:00:0c", "10.202.0.12")
	vni, _ := rand.Int(rand.Reader, big.NewInt(1<<23))
	spec := func(id string, vni int) model.NetworkSpec {
		return model.NetworkSpec{ID: id, ProjectID: "p", Type: model.NetworkTypeVXLAN, SegmentationID: vni, MTU: 1450,
			Subnets: []model.SubnetSpec{{ID: "s" + id, CIDR: "10.202.0.0/24", IPVersion: 4, GatewayIP: "10.202.0.1"}}}
	}
	st.next = model.HostNetworkState{Host: "h", Revision: 1,
		Networks: []model.NetworkSpec{spec(netA, int(vni.Int64())+1), spec(netB, int(vni.Int64())+2)}, Ports: []model.PortSpec{a1, a2, b1}}
	if _, err := st.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	p := startPlugin(t, st, netplanePorts{plane})
	engineNetwork(t, h.Docker, p, st.cur.Networks[0])
	engineNetwork(t, h.Docker, p, st.cur.Networks[1])

	if _, err := engineRun(t, h.Docker, "--network", netA, "--ip", "10.202.0.10"); err != nil {
		t.Fatal(err)
	}
	ca2, err := engineRun(t, h.Docker, "--network", netA, "--ip", "10.202.0.11")
	if err != nil {
		t.Fatal(err)
	}
	cb1, err := engineRun(t, h.Docker, "--network", netB, "--ip", "10.202.0.12")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := h.Docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.MacAddress}}{{end}}", ca2)
	if got != a2.MAC {
		t.Fatalf("mac of a2: %q", got)
	}
	if out, err := h.Docker("exec", ca2, "ping", "-c", "1", "-W", "2", "10.202.0.10"); err != nil {
		t.Fatalf("a2 -> a1: %v %s", err, out)
	}
	for _, target := range []string{"10.202.0.10", "10.202.0.11"} {
		if out, err := h.Docker("exec", cb1, "ping", "-c", "1", "-W", "1", target); err == nil || !strings.Contains(out, "100% packet loss") {
			t.Fatalf("b1 (other network) reached %s: %v %s", target, err, out)
		}
	}
	// Removing a container releases its port's devices.
	start := time.Now()
	if out, err := h.Docker("rm", "-f", ca2); err != nil {
		t.Fatalf("rm: %v %s", err, out)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("rm took %s", d)
	}
	if out, _ := exec.Command("ip", "-n", h.Name, "link", "show", "zpeer"+a2.ID[:10]).CombinedOutput(); !strings.Contains(string(out), "does not exist") {
		t.Errorf("peer of a removed container's port left: %s", out)
	}
}
