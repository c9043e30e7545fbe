package dockerplugin

import (
	"context"
	"fmt"
	"os/exec"
	"sort"
)

// AcceptBridgedForward: Docker loads br_netfilter and sets the global bridge-nf-call-iptables,
// which hands every bridged frame to iptables' FORWARD chain, whose policy
// Docker sets to DROP. The tenant and external bridges filter in their own
// nftables tables (internal/netplane), so frames staying on one of our
// bridges are accepted in DOCKER-USER, the chain Docker leaves to its
// users; Docker's own chains are not touched.
func AcceptBridgedForward(ctx context.Context, bridges []string) error {
	if exec.CommandContext(ctx, "iptables", "-w", "-n", "-L", "DOCKER-USER").Run() != nil {
		return nil // no Docker firewall here: nothing drops bridged frames
	}
	sort.Strings(bridges)
	for _, br := range bridges {
		rule := []string{"DOCKER-USER", "-i", br, "-o", br, "-j", "ACCEPT"}
		if exec.CommandContext(ctx, "iptables", append([]string{"-w", "-C"}, rule...)...).Run() == nil {
			continue
		}
		if out, err := exec.CommandContext(ctx, "iptables", append([]string{"-w", "-I"}, rule...)...).CombinedOutput(); err != nil {
			return fmt.Errorf("failed to accept bridged traffic of %s: %v: %s", br, err, out)
		}
	}
	return nil
}
