package dockerplugin

import (
	"context"
	"os/exec"
	"testing"
)

// kernelPlane is the smallest real data plane for tests of the plugin
// alone: one Linux bridge per network, one veth pair per port with the
// port's MAC on the container end. internal/netplane is the agent's.
type kernelPlane struct {
	t     *testing.T
	state StateSource
}

func newKernelPlane(t *testing.T, st StateSource) *kernelPlane {
	kp := &kernelPlane{t: t, state: st}
	return kp
}

func short(id string, n int) string {
	if len(id) > n {
		return id[:n]
	}
	return id
}

func ip(args ...string) error {
	return exec.Command("ip", args...).Run()
}

func (k *kernelPlane) EnsurePort(_ context.Context, portID string) (string, error) {
	for _, p := range k.state.State().Ports {
		if p.ID != portID {
			continue
		}
		br := "ztb" + short(p.NetworkID, 11)
		if ip("link", "show", br) != nil {
			if err := ip("link", "add", br, "type", "bridge"); err != nil {
				return "", err
			}
			k.t.Cleanup(func() { _ = ip("link", "del", br) })
			// Docker's FORWARD policy drops bridged traffic that
			// br_netfilter hands to iptables; DOCKER-USER is the chain
			// Docker leaves to its users.
			rule := []string{"DOCKER-USER", "-i", br, "-o", br, "-j", "ACCEPT"}
			if exec.Command("iptables", append([]string{"-I"}, rule...)...).Run() == nil {
				k.t.Cleanup(func() { _ = exec.Command("iptables", append([]string{"-D"}, rule...)...).Run() })
			}
			_ = ip("link", "set", br, "up")
		}
		host, peer := "ztap"+short(p.ID, 11), "zpeer"+short(p.ID, 10)
		if ip("link", "show", host) != nil {
			if err := ip("link", "add", host, "type", "veth", "peer", "name", peer); err != nil {
				return "", err
			}
			k.t.Cleanup(func() { _ = ip("link", "del", host) })
		}
		_ = ip("link", "set", peer, "address", p.MAC)
		_ = ip("link", "set", host, "master", br)
		_ = ip("link", "set", host, "up")
		return peer, nil
	}
	return "", exec.ErrNotFound
}

func (k *kernelPlane) ReleasePort(_ context.Context, portID string) error {
	_ = ip("link", "del", "ztap"+short(portID, 11))
	return nil
}

func (k *kernelPlane) exists(_ context.Context, portID string) bool {
	return ip("link", "show", "ztap"+short(portID, 11)) == nil
}
